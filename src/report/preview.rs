//! A few rows of each checked document's cells as the sheet shows them, kept for the notebook view
//! (`Report._repr_html_`): the grids themselves are dropped once a workbook is checked.

use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

use crate::model::{Lang, Workbook};
use crate::report::finding::Finding;
use crate::read::grid::{Grid, GridCell, Value};

/// Rows kept of each document from its first header (or title) row, then up to `FINDING_ROWS` (20) more
/// rows further down that hold findings.
pub const PREVIEW_ROWS: u32 = 15;
const FINDING_ROWS: usize = 20;
/// Columns kept at most.
const PREVIEW_COLUMNS: u32 = 30;
/// Characters kept of a cell's text.
const PREVIEW_CHARS: usize = 60;

/// The top of one document (a list table or a form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub sheet: String,
    /// `表6`, the sheet's name, or the form's kind.
    pub label: String,
    /// 0-based sheet column of each row's first cell.
    pub first_col: u32,
    /// 0-based sheet row and the shown text of its cells (empty for a blank cell or one covered by a
    /// merge), in sheet order; rows between two kept rows may be left out.
    pub rows: Vec<(u32, Vec<String>)>,
    /// Rows the document spans, shown or not.
    pub total_rows: u32,
}

/// The top rows of every table and form of `workbook`, read from its `grids`, and the rows further
/// down where `findings` point.
pub fn previews(workbook: &Workbook, grids: &[Grid], findings: &[&Finding], lang: Lang) -> Vec<Preview> {
    let grid_of = |sheet: &str| grids.iter().find(|g| g.name == sheet);
    let mut out = Vec::new();
    for table in &workbook.tables {
        let Some(grid) = grid_of(&table.sheet) else { continue };
        let first = table.header_rows.0;
        let last = table.rows.last().map_or(table.header_rows.1, |r| r.row).max(table.header_rows.1) + 1;
        out.push(region(grid, table.label(), first, last, findings));
    }
    for form in &workbook.forms {
        let Some(grid) = grid_of(&form.sheet) else { continue };
        out.push(region(grid, form.label(lang), form.rows.0, form.rows.1.max(form.rows.0 + 1), findings));
    }
    out
}

/// Rows `first..end` of `grid`: the first [`PREVIEW_ROWS`], then those of findings, trimmed to the
/// columns that hold something.
fn region(grid: &Grid, label: String, first: u32, end: u32, findings: &[&Finding]) -> Preview {
    let end = end.min(grid.height().max(first));
    let top = end.min(first + PREVIEW_ROWS);
    let mut kept: Vec<u32> = (first..top).collect();
    // Errors' rows first, then warnings', then infos', as far as FINDING_ROWS go; shown in sheet order.
    let mut flagged: Vec<(std::cmp::Reverse<crate::check::catalog::Severity>, u32)> = findings
        .iter()
        .filter(|f| f.sheet == grid.name)
        .filter_map(|f| f.cell.map(|c| (std::cmp::Reverse(f.severity), c.row)))
        .filter(|(_, r)| (top..end).contains(r))
        .collect();
    flagged.sort_unstable();
    let mut rows: Vec<u32> = Vec::new();
    for (_, row) in flagged {
        if rows.len() == FINDING_ROWS {
            break;
        }
        if !rows.contains(&row) {
            rows.push(row);
        }
    }
    rows.sort_unstable();
    kept.extend(rows);
    let used = |col: u32| kept.iter().any(|&row| !grid.cell(row, col).value.is_empty());
    let width = kept.iter().map(|&row| grid.width(row)).max().unwrap_or(0);
    let first_col = (0..width).find(|&c| used(c)).unwrap_or(0);
    let last_col = (0..width).rev().find(|&c| used(c)).map_or(first_col, |c| c + 1).min(first_col + PREVIEW_COLUMNS);
    let rows = kept.iter().map(|&row| (row, (first_col..last_col).map(|col| shown(grid.cell(row, col))).collect())).collect();
    Preview { sheet: grid.name.clone(), label, first_col, rows, total_rows: end.saturating_sub(first) }
}

/// A cell's text as the sheet shows it: numbers with their format's decimals (`98.96%`, `80.00`).
fn shown(cell: &GridCell) -> String {
    let text = match (&cell.value, cell.format) {
        (Value::Number(n), Some(format)) => {
            let value = if format.percent { n * 100.0 } else { *n };
            let rounded = Decimal::from_f64(value).map(|d| d.round_dp(u32::from(format.decimals)));
            let body = match rounded {
                Some(d) => format!("{:.*}", format.decimals as usize, d),
                None => format!("{value:.*}", format.decimals as usize),
            };
            if format.percent {
                body + "%"
            } else {
                body
            }
        }
        (value, _) => value.display().map(|t| t.into_owned()).unwrap_or_default(),
    };
    if text.chars().count() > PREVIEW_CHARS {
        text.chars().take(PREVIEW_CHARS - 1).chain(['…']).collect()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::grid::NumberFormat;

    #[test]
    fn numbers_show_their_format() {
        let cell = |n: f64, decimals, percent| GridCell { value: Value::Number(n), format: Some(NumberFormat { decimals, percent }), look: 0 };
        assert_eq!(shown(&cell(0.9896, 2, true)), "98.96%");
        assert_eq!(shown(&cell(80.0, 2, false)), "80.00");
        assert_eq!(shown(&GridCell { value: Value::Number(19.98), format: None, look: 0 }), "19.98");
        assert_eq!(shown(&GridCell { value: Value::Text("x".repeat(100).into()), format: None, look: 0 }).chars().count(), PREVIEW_CHARS);
    }
}
