//! The normalized rows of every table, one line per project, 小计 and 合计, with provenance.

use crate::model::{Amount, Workbook};
use crate::report::tabular::{Tabular, Values};

/// One row per table row of every workbook. `with_file` adds the file path as the first column.
pub fn projects_table(workbooks: &[&Workbook], with_file: bool) -> Tabular {
    let rows: Vec<RowRef<'_>> = workbooks
        .iter()
        .flat_map(|wb| wb.tables.iter().flat_map(move |t| t.rows.iter().enumerate().map(move |(index, r)| RowRef { workbook: wb, table: t, row: r, index })))
        .collect();
    let mut out = Tabular::default();
    if with_file {
        out.push("file", text(&rows, |r| Some(r.workbook.path.display().to_string())));
    }
    out.push("sheet", text(&rows, |r| Some(r.table.sheet.clone())));
    out.push("table", Values::Int(rows.iter().map(|r| Some(r.table.index as i64)).collect()));
    out.push("row", Values::Int(rows.iter().map(|r| Some(r.row.row as i64 + 1)).collect()));
    out.push("kind", text(&rows, |r| Some(r.row.kind.as_str().to_string())));
    out.push("seq", text(&rows, |r| r.row.seq.as_deref().map(str::to_string)));
    out.push("unit", text(&rows, |r| Some(r.table.unit_of(r.row).to_string())));
    out.push("department", text(&rows, |r| r.row.department.as_deref().map(str::to_string)));
    out.push("project", text(&rows, |r| r.row.project.as_deref().map(str::to_string)));
    for amount in Amount::ALL {
        out.push(amount.column_name(), Values::Decimal(rows.iter().map(|r| r.row.amount(amount).value()).collect()));
    }
    out.push("ratio", Values::Decimal(rows.iter().map(|r| r.row.ratio.value()).collect()));
    for amount in Amount::ALL {
        let name = format!("{}_cell", amount.column_name());
        out.push(&name, cell_column(&rows, |r| r.row.amount(amount).cell()));
    }
    out.push("ratio_cell", cell_column(&rows, |r| r.row.ratio.cell()));
    out.push("source_unit", text(&rows, |r| Some(r.table.source_unit.as_str().to_string())));
    out.push("level", Values::Int(rows.iter().map(|r| r.row.level.map(i64::from)).collect()));
    out.push("parent_row", Values::Int(rows.iter().map(|r| r.row.parent_row.map(|p| i64::from(p) + 1)).collect()));
    for name in extra_amount_names(workbooks) {
        fn field<'a>(r: &RowRef<'a>, name: &str) -> Option<&'a crate::model::Field> {
            let at = r.table.columns.extra_amounts.iter().position(|c| c.name == name)?;
            Some(r.row.amount(Amount::Extra(at as u16)))
        }
        out.push(&name, Values::Decimal(rows.iter().map(|r| field(r, &name).and_then(|f| f.value())).collect()));
        out.push(&format!("{name}_cell"), cell_column(&rows, |r| field(r, &name).and_then(|f| f.cell())));
    }
    for name in extra_names(workbooks) {
        out.push(&name, text(&rows, |r| r.table.extras.iter().find(|e| e.name == name).and_then(|e| e.values.get(r.index)?.as_deref().map(str::to_string))));
    }
    out
}

struct RowRef<'a> {
    workbook: &'a Workbook,
    table: &'a crate::model::ListTable,
    row: &'a crate::model::ListRow,
    /// The row's place in its table's rows.
    index: usize,
}

fn text(rows: &[RowRef<'_>], value: impl Fn(&RowRef<'_>) -> Option<String>) -> Values {
    Values::Text(rows.iter().map(value).collect())
}

fn cell_column(rows: &[RowRef<'_>], field: impl Fn(&RowRef<'_>) -> Option<crate::model::CellRef>) -> Values {
    text(rows, |r| field(r).map(|c| c.to_string()))
}

/// Every extra column name, in order of first appearance.
fn extra_names(workbooks: &[&Workbook]) -> Vec<String> {
    first_appearances(workbooks.iter().flat_map(|wb| wb.tables.iter().flat_map(|t| t.extras.iter().map(|e| &e.name))))
}

/// Every other amount column's name (`budget_change`, `balance` …), in order of first appearance.
fn extra_amount_names(workbooks: &[&Workbook]) -> Vec<String> {
    first_appearances(workbooks.iter().flat_map(|wb| wb.tables.iter().flat_map(|t| t.columns.extra_amounts.iter().map(|c| &c.name))))
}

fn first_appearances<'a>(names: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for name in names {
        if !seen.contains(name) {
            seen.push(name.clone());
        }
    }
    seen
}
