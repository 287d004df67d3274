//! Test helpers: tables written as the sheet would show them, and the findings of one rule.

use std::path::PathBuf;
use std::sync::Arc;

use compact_str::CompactString;

use crate::check::check_workbook;
use crate::model::{AmountColumn, CellRef, Derived, Columns, ExtraColumn, Field, Figure, ListRow, ListTable, RowKind, MoneyUnit, Workbook};
use crate::read::text::{parse_figure_text, TextFigure};
use crate::report::finding::Finding;
use crate::settings::Settings;

/// Builds a table laid out as A 序号 | B 实施部室 | C 项目名称 | D 年初 | E 调整后 | F 实际 | G 比例 | H… extras,
/// header on row 1, data from row 2. Figures are written as text (`"266.47"`, `""`, `"—"`, `"约300"`).
pub struct TableBuilder {
    table: ListTable,
    department: String,
    /// The level row new projects belong to.
    open_level: Option<u32>,
}

impl Default for TableBuilder {
    fn default() -> TableBuilder {
        TableBuilder::new()
    }
}

impl TableBuilder {
    pub fn new() -> TableBuilder {
        TableBuilder::named("表1", "Sheet1")
    }

    pub fn named(title: &str, sheet: &str) -> TableBuilder {
        let columns = Columns {
            seq: Some(0),
            unit: None,
            department: Some(1),
            project: Some(2),
            budget_initial: Some(3),
            budget_adjusted: Some(4),
            actual: Some(5),
            ratio: Some(6),
            extra_amounts: Vec::new(),
        };
        let table = ListTable {
            sheet: sheet.into(),
            index: 0,
            title: Some(format!("{title}  测试表")),
            header_rows: (0, 0),
            columns,
            extras: Vec::new(),
            source_unit: MoneyUnit::TenThousandYuan,
            unit: "北京市西城区人民政府月坛街道办事处".into(),
            rows: Vec::new(),
        };
        TableBuilder { table, department: "综合办公室".into(), open_level: None }
    }

    pub fn extra(mut self, name: &str) -> Self {
        let col = 7 + self.table.extras.len() as u32;
        let mut extra = ExtraColumn::new(name.into(), name.into(), col);
        extra.values = vec![None; self.table.rows.len()];
        self.table.extras.push(extra);
        self
    }

    pub fn project(self, name: &str, initial: &str, adjusted: &str, actual: &str, ratio: &str) -> Self {
        let department = self.department.clone();
        self.dept_project(&department, name, initial, adjusted, actual, ratio)
    }

    pub fn dept_project(mut self, dept: &str, name: &str, initial: &str, adjusted: &str, actual: &str, ratio: &str) -> Self {
        self.department = dept.into();
        self.push(RowKind::Project, Some(dept.into()), Some(name.into()), [initial, adjusted, actual, ratio], &[])
    }

    /// A project of a consolidated list: its unit in the row's own 单位名称 column.
    pub fn unit_project(mut self, unit: &str, name: &str, initial: &str, adjusted: &str, actual: &str, ratio: &str) -> Self {
        self.table.columns.unit = Some(1);
        self.table.columns.department = None;
        self = self.push(RowKind::Project, None, Some(name.into()), [initial, adjusted, actual, ratio], &[]);
        if let Some(row) = self.table.rows.last_mut() {
            row.unit = Some(unit.into());
        }
        self
    }

    /// An amount column defined by the others (结余, 追加), after the extras.
    pub fn derived_column(mut self, header: &str, derived: Derived) -> Self {
        let col = 8 + self.table.columns.extra_amounts.len() as u32;
        let name = match derived {
            Derived::Balance => "balance",
            Derived::Change => "budget_change",
        };
        self.table.columns.extra_amounts.push(AmountColumn { name: name.into(), header: header.into(), col, derived: Some(derived) });
        self
    }

    /// A project with figures for the extra amount columns, in order.
    pub fn project_amounts(mut self, name: &str, figures: [&str; 4], amounts: &[&str]) -> Self {
        self = self.project(name, figures[0], figures[1], figures[2], figures[3]);
        let columns: Vec<u32> = self.table.columns.extra_amounts.iter().map(|c| c.col).collect();
        if let Some(row) = self.table.rows.last_mut() {
            row.extra_amounts = amounts.iter().zip(columns).map(|(text, col)| field_of(text, CellRef::new(row.row, col))).collect();
        }
        self
    }

    /// A project with values for the extra columns, in order.
    pub fn project_with(mut self, name: &str, figures: [&str; 4], extras: &[&str]) -> Self {
        let dept = self.department.clone();
        self = self.push(RowKind::Project, Some(dept), Some(name.into()), figures, extras);
        self
    }

    /// A level row (一、…) carrying the sum of the projects after it, down to the next level row.
    pub fn level(mut self, label: &str, initial: &str, adjusted: &str, actual: &str, ratio: &str) -> Self {
        self = self.push(RowKind::Level, None, Some(label.into()), [initial, adjusted, actual, ratio], &[]);
        self.open_level = self.table.rows.last().map(|r| r.row);
        if let Some(row) = self.table.rows.last_mut() {
            row.level = Some(1);
        }
        self
    }

    /// A 其中 part of the row above it (the last project, level or total that is not a part).
    pub fn part(mut self, label: &str, initial: &str, adjusted: &str, actual: &str) -> Self {
        let parent = self.table.rows.iter().rev().find(|r| r.kind != RowKind::Breakdown).map(|r| r.row);
        self = self.push(RowKind::Breakdown, None, Some(label.into()), [initial, adjusted, actual, ""], &[]);
        if let Some(row) = self.table.rows.last_mut() {
            row.parent_row = parent;
        }
        self
    }

    pub fn subtotal(self, initial: &str, adjusted: &str, actual: &str, ratio: &str) -> Self {
        let dept = Some(self.department.clone());
        self.push(RowKind::Subtotal, dept, None, [initial, adjusted, actual, ratio], &[])
    }

    pub fn total(self, initial: &str, adjusted: &str, actual: &str, ratio: &str) -> Self {
        self.push(RowKind::Total, None, None, [initial, adjusted, actual, ratio], &[])
    }

    pub fn unit(mut self, unit: MoneyUnit) -> Self {
        self.table.source_unit = unit;
        self
    }

    fn push(mut self, kind: RowKind, dept: Option<String>, project: Option<String>, figures: [&str; 4], extras: &[&str]) -> Self {
        let row = self.table.rows.len() as u32 + 1;
        let field = |col: u32, text: &str| field_of(text, CellRef::new(row, col));
        let [initial, adjusted, actual, ratio] = figures;
        for (at, column) in self.table.extras.iter_mut().enumerate() {
            column.values.push(extras.get(at).map(|t| CompactString::from(*t)));
        }
        self.table.rows.push(ListRow {
            kind,
            row,
            seq: (kind == RowKind::Project).then(|| row.to_string().into()),
            unit: None,
            department: dept.map(Arc::from),
            project: project.map(CompactString::from),
            budget_initial: field(3, initial),
            budget_adjusted: field(4, adjusted),
            actual: field(5, actual),
            ratio: field(6, ratio),
            extra_amounts: Vec::new(),
            level: None,
            parent_row: if kind == RowKind::Project { self.open_level } else { None },
        });
        self
    }

    pub fn build(self) -> ListTable {
        self.table
    }
}

fn field_of(text: &str, cell: CellRef) -> Field {
    match parse_figure_text(text) {
        TextFigure::Blank => Field::Blank(cell),
        TextFigure::Dash => Field::Value(Figure { value: Default::default(), decimals: None, cell, as_text: true, in_yuan: false }),
        TextFigure::Number { value, decimals, .. } => Field::Value(Figure { value, decimals: Figure::shown_decimals(decimals), cell, as_text: false, in_yuan: false }),
        TextFigure::NotANumber => Field::Invalid { cell, text: text.into(), beyond_range: false },
    }
}

pub fn workbook_of(tables: Vec<ListTable>) -> Workbook {
    let mut tables = tables;
    for (index, table) in tables.iter_mut().enumerate() {
        table.index = index;
    }
    let sheets = tables.iter().map(|t| t.sheet.clone()).collect();
    Workbook { path: PathBuf::from("test.xlsx"), sheets, tables, forms: Vec::new(), skipped: Vec::new(), formula_notes: Vec::new() }
}

/// The findings of one rule, with every rule on and info shown.
/// The findings of `rule` on `table`, info included.
pub fn findings_of(table: &ListTable, rule: &str) -> Vec<Finding> {
    findings_in(&workbook_of(vec![table.clone()]), rule, &Settings { show_info: true, ..Settings::default() })
}

pub fn findings_in(workbook: &Workbook, rule: &str, settings: &Settings) -> Vec<Finding> {
    check_workbook(workbook, settings).findings.into_iter().filter(|f| f.rule == rule).collect()
}
