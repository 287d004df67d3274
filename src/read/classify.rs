//! What each region of a sheet is (FORMATS.md §2.4): a form (from its title row down to the next
//! title), a list (wherever a list header stands outside the forms), or neither — a sheet with
//! neither is skipped and named (S003), never an error.

use std::ops::Range;

use crate::model::{Form, ListTable, SkipReason, SkippedSheet};
use crate::read::form::{read_form, titles_in};
use crate::read::grid::{Grid, SheetKind};
use crate::read::table::tables_in;

/// The documents of one sheet.
pub struct SheetDocuments {
    pub tables: Vec<ListTable>,
    pub forms: Vec<Form>,
    pub skipped: Option<SkippedSheet>,
}

/// Reads a sheet's forms and lists, numbering them from the workbook's counts so far.
pub fn documents_in(grid: &Grid, first_table: usize, first_form: usize) -> SheetDocuments {
    if let Some(reason) = not_a_worksheet(grid) {
        return SheetDocuments { tables: Vec::new(), forms: Vec::new(), skipped: Some(SkippedSheet { sheet: grid.name.clone(), reason }) };
    }
    let titles = titles_in(grid);
    let regions: Vec<Range<u32>> = titles
        .iter()
        .enumerate()
        .map(|(i, title)| title.0..titles.get(i + 1).map_or(grid.height(), |next| next.0))
        .collect();
    let forms: Vec<Form> =
        titles.iter().zip(&regions).enumerate().map(|(i, (title, region))| read_form(grid, title, region.end, first_form + i)).collect();
    let tables = tables_in(grid, first_table, &regions);
    let skipped = (tables.is_empty() && forms.is_empty())
        .then(|| SkippedSheet { sheet: grid.name.clone(), reason: SkipReason::NeitherListNorForm });
    SheetDocuments { tables, forms, skipped }
}

/// Chart, macro and dialog sheets, and sheets the reader could not open.
fn not_a_worksheet(grid: &Grid) -> Option<SkipReason> {
    let what = match &grid.kind {
        SheetKind::Worksheet => return None,
        SheetKind::Chart => "图表工作表（chart）".to_string(),
        SheetKind::Macro => "宏表（macro）".to_string(),
        SheetKind::Dialog => "对话框工作表（dialog）".to_string(),
        SheetKind::Unreadable(detail) => format!("无法读取的工作表（{detail}）"),
    };
    Some(SkipReason::NotAWorksheet(what))
}
