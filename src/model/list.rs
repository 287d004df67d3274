//! The project list (附件1 and the report's 表1…表N): its rows, columns and tables.


use std::sync::Arc;

use compact_str::CompactString;
use serde::Serialize;

use crate::model::{CellRef, Field, Lang};

/// What a table row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowKind {
    Project,
    /// 小计: the sum of the project rows above it (a department's, or a unit's).
    Subtotal,
    /// 合计 / 总计: the sum of all project rows, wherever it stands.
    Total,
    /// A category or department row (一、 / （一） / a department's name) carrying the sum of the
    /// projects below it, down to the next row of its level (FORMATS.md §1.2).
    Level,
    /// A 其中 row and the rows continuing it: a part of the row above, never a project.
    Breakdown,
}

impl RowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RowKind::Project => "project",
            RowKind::Subtotal => "subtotal",
            RowKind::Total => "total",
            RowKind::Level => "level",
            RowKind::Breakdown => "breakdown",
        }
    }
}

/// The amount columns of a project list: the core three, then any others the table has
/// (追加（减）, 结余, 财政拨款 …), by their position in [`Columns::extra_amounts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Amount {
    BudgetInitial,
    BudgetAdjusted,
    Actual,
    Extra(u16),
}

impl Amount {
    pub const ALL: [Amount; 3] = [Amount::BudgetInitial, Amount::BudgetAdjusted, Amount::Actual];

    /// The frame column of a core amount (an extra one is named by its table).
    pub fn column_name(self) -> &'static str {
        match self {
            Amount::BudgetInitial => "budget_initial",
            Amount::BudgetAdjusted => "budget_adjusted",
            Amount::Actual => "actual",
            Amount::Extra(_) => "extra_amount",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Amount::BudgetInitial => lang.pick("年初预算金额", "initial budget"),
            Amount::BudgetAdjusted => lang.pick("调整后预算金额", "adjusted budget"),
            Amount::Actual => lang.pick("实际支出金额", "actual spending"),
            Amount::Extra(_) => lang.pick("其他金额", "other amount"),
        }
    }
}

/// How an amount column follows from the others, where it does (rule A008).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived {
    /// 追加（减）/ 调整数 = 调整后 − 年初.
    Change,
    /// 结余 / 未支出 = 调整后 − 实际.
    Balance,
}

/// An amount column beyond the core three.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountColumn {
    /// English snake_case for the known ones (`budget_change`, `balance`, `fiscal_funds`), else the header text.
    pub name: String,
    pub header: String,
    pub col: u32,
    pub derived: Option<Derived>,
}

static ABSENT: Field = Field::Absent;

/// One row of a 附件1 table (a project, a 小计 or the 合计).
#[derive(Debug, Clone, PartialEq)]
pub struct ListRow {
    pub kind: RowKind,
    /// 0-based sheet row.
    pub row: u32,
    pub seq: Option<CompactString>,
    /// The budget unit named in the row's own 单位名称 column (a consolidated list); else the table's.
    /// Shared with the rows below that carry it, as the department is.
    pub unit: Option<Arc<str>>,
    pub department: Option<Arc<str>>,
    pub project: Option<CompactString>,
    pub budget_initial: Field,
    pub budget_adjusted: Field,
    pub actual: Field,
    /// In percent units: 98.96 for 98.96 %.
    pub ratio: Field,
    /// Figures of the table's other amount columns, in the order of [`Columns::extra_amounts`].
    pub extra_amounts: Vec<Field>,
    /// Depth in the list's hierarchy: 1 at the top; a project one below its level row; None for 合计.
    pub level: Option<u32>,
    /// 0-based sheet row of the enclosing level row (of the parent, for a breakdown row).
    pub parent_row: Option<u32>,
}

impl ListRow {
    pub fn amount(&self, amount: Amount) -> &Field {
        match amount {
            Amount::BudgetInitial => &self.budget_initial,
            Amount::BudgetAdjusted => &self.budget_adjusted,
            Amount::Actual => &self.actual,
            Amount::Extra(i) => self.extra_amounts.get(usize::from(i)).unwrap_or(&ABSENT),
        }
    }

    /// The text of an extra column (e.g. `deviation_reason`), when the table has it and it is filled.
    pub fn extra<'a>(&self, table: &'a ListTable, name: &str) -> Option<&'a str> {
        let index = table.rows.binary_search_by_key(&self.row, |r| r.row).ok()?;
        table.extras.iter().find(|e| e.name == name)?.text(index)
    }

    /// A readable label for messages: the project name, or the row kind.
    pub fn label(&self, lang: Lang) -> String {
        match self.kind {
            RowKind::Project => self.project.as_deref().unwrap_or(lang.pick("（无名称项目）", "(unnamed project)")).to_string(),
            RowKind::Subtotal => format!(
                "{}{}",
                self.department.as_deref().or(self.unit.as_deref()).unwrap_or(""),
                lang.pick("小计", " subtotal")
            ),
            RowKind::Total => lang.pick("合计", "total").into(),
            RowKind::Level | RowKind::Breakdown => self.project.as_deref().unwrap_or_default().to_string(),
        }
    }
}

/// The unit the amounts of a table are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum MoneyUnit {
    #[default]
    #[serde(rename = "万元")]
    TenThousandYuan,
    #[serde(rename = "元")]
    Yuan,
}

impl MoneyUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            MoneyUnit::TenThousandYuan => "万元",
            MoneyUnit::Yuan => "元",
        }
    }
}

/// A column the reader did not recognise as a figure, kept with its header and its texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraColumn {
    /// English snake_case for the known ones (`deviation_reason`), else the header text.
    pub name: String,
    pub header: String,
    pub col: u32,
    /// The text of each of the table's rows, trimmed, in the order of [`ListTable::rows`]. Kept by
    /// column rather than in each row: a row then holds no block of its own for them.
    pub values: Vec<Option<CompactString>>,
}

impl ExtraColumn {
    pub fn new(name: String, header: String, col: u32) -> ExtraColumn {
        ExtraColumn { name, header, col, values: Vec::new() }
    }

    /// The text of the table's `index`th row, when filled.
    pub fn text(&self, index: usize) -> Option<&str> {
        self.values.get(index)?.as_deref().filter(|text| !text.trim().is_empty())
    }
}

/// Where each recognised column sits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    pub seq: Option<u32>,
    /// 单位名称 / 预算单位: a consolidated list of several budget units.
    pub unit: Option<u32>,
    pub department: Option<u32>,
    pub project: Option<u32>,
    pub budget_initial: Option<u32>,
    pub budget_adjusted: Option<u32>,
    pub actual: Option<u32>,
    pub ratio: Option<u32>,
    pub extra_amounts: Vec<AmountColumn>,
}

impl Columns {
    pub fn amount(&self, amount: Amount) -> Option<u32> {
        match amount {
            Amount::BudgetInitial => self.budget_initial,
            Amount::BudgetAdjusted => self.budget_adjusted,
            Amount::Actual => self.actual,
            Amount::Extra(i) => self.extra_amounts.get(usize::from(i)).map(|c| c.col),
        }
    }
}

/// One 附件1-shaped table found on a sheet (a 附件1 list, or one of a report's 表1…表N).
#[derive(Debug, Clone, PartialEq)]
pub struct ListTable {
    pub sheet: String,
    /// 0-based index of the table within the workbook.
    pub index: usize,
    /// The title line above the header, e.g. `表6  平安建设办公室重点跟踪项目全年预算执行情况表`.
    pub title: Option<String>,
    /// 0-based sheet rows of the header (first and last; equal for a one-row header).
    pub header_rows: (u32, u32),
    pub columns: Columns,
    pub extras: Vec<ExtraColumn>,
    /// The unit the sheet states; figures in the model are always in 万元.
    pub source_unit: MoneyUnit,
    /// The budget unit (预算单位) the table belongs to: its 单位名称 line, else a sheet name that
    /// names a unit, else the file. Rows of a consolidated list name their own ([`ListRow::unit`]).
    pub unit: String,
    pub rows: Vec<ListRow>,
}

impl ListTable {
    pub fn projects(&self) -> impl Iterator<Item = &ListRow> {
        self.rows.iter().filter(|r| r.kind == RowKind::Project)
    }

    /// A short name for messages: the 表N number of the title, else the sheet's name.
    pub fn label(&self) -> String {
        let number = self.title.as_deref().and_then(|title| title.split_whitespace().next()).filter(|first| {
            let mut chars = first.chars();
            chars.next() == Some('表') && chars.next().is_some_and(|c| c.is_ascii_digit())
        });
        // Every unit's sheet may carry the same long title; its sheet name tells them apart.
        number.map_or_else(|| self.sheet.clone(), str::to_string)
    }

    /// Where a row's project name stands (a table without a 项目名称 column has none).
    pub fn project_cell(&self, row: &ListRow) -> Option<CellRef> {
        self.columns.project.map(|col| CellRef::new(row.row, col))
    }

    /// The budget unit of one of the table's rows.
    pub fn unit_of<'a>(&'a self, row: &'a ListRow) -> &'a str {
        row.unit.as_deref().unwrap_or(&self.unit)
    }

    /// Whether the rows name their units (a consolidated list), rather than the table one for all.
    pub fn lists_units(&self) -> bool {
        self.columns.unit.is_some()
    }

    /// Every amount column of the table: the core three, then the others.
    pub fn amounts(&self) -> impl Iterator<Item = Amount> + '_ {
        let extras = (0..self.columns.extra_amounts.len()).map(|i| Amount::Extra(i as u16));
        Amount::ALL.into_iter().filter(|a| self.columns.amount(*a).is_some()).chain(extras)
    }

    /// An amount's name in messages: the core three by their standard names, the others by their header.
    pub fn amount_label(&self, amount: Amount, lang: Lang) -> &str {
        match amount {
            Amount::Extra(i) => self.columns.extra_amounts.get(usize::from(i)).map_or(amount.label(lang), |c| c.header.as_str()),
            core => core.label(lang),
        }
    }

    pub fn has_extra(&self, name: &str) -> bool {
        self.extras.iter().any(|e| e.name == name)
    }
}
