//! What each region of a sheet is (FORMATS.md §2.4): a form (from its title row down to the next
//! title), a list (wherever a list header stands outside the forms), or neither — a sheet with
//! neither is skipped and named (S003), never an error.

use std::ops::Range;

use crate::model::{Form, ListTable, SkipReason, SkippedSheet};
use crate::read::form::{read_form, titles_in};
use crate::read::grid::{Grid, SheetKind};
use crate::read::header::{role_of, Role};
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
    let mut forms: Vec<Form> = Vec::new();
    let mut regions: Vec<Range<u32>> = Vec::new();
    for (i, title) in titles.iter().enumerate() {
        let region = title.0..titles.get(i + 1).map_or(grid.height(), |next| next.0);
        let form = read_form(grid, title, region.end, first_form + forms.len());
        // A title alone makes no form: a list titled …分析表 (its 项目名称 a column header) is read as
        // the list it is.
        let names_a_project = form.project.as_ref().is_some_and(|p| !is_list_header_row(grid, p.cell.row));
        if names_a_project || (!form.fund.is_empty() && form.project.is_none()) || !form.indicators.is_empty() {
            forms.push(form);
            regions.push(region);
        }
    }
    let tables = tables_in(grid, first_table, &regions);
    let skipped = (tables.is_empty() && forms.is_empty())
        .then(|| SkippedSheet { sheet: grid.name.clone(), reason: SkipReason::NeitherListNorForm });
    SheetDocuments { tables, forms, skipped }
}

/// A row that names a list's columns itself: 项目名称 beside figure columns (年初预算数, 执行率 …).
fn is_list_header_row(grid: &Grid, row: u32) -> bool {
    let figures = (0..grid.width(row))
        .filter_map(|col| grid.cell(row, col).value.display().and_then(|t| role_of(&t)))
        .filter(|role| matches!(role, Role::BudgetInitial | Role::BudgetAdjusted | Role::Actual | Role::Ratio))
        .count();
    figures >= 2
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::grid::Value;

    fn grid(rows: &[&[&str]]) -> Grid {
        let cell = |t: &&str| if t.is_empty() { Value::Empty } else { Value::Text((*t).into()) };
        Grid::from_values("s", rows.iter().map(|r| r.iter().map(cell).collect()).collect())
    }

    #[test]
    fn a_list_under_a_form_title_is_a_list_and_a_form_is_a_form() {
        let list = grid(&[
            &["项目支出绩效跟踪分析表"],
            &["序号", "项目名称", "年初预算数", "调整后预算数", "实际支出数", "预算执行率"],
            &["1", "宣传经费", "10.00", "10.00", "9.00", "90.00%"],
        ]);
        let found = documents_in(&list, 0, 0);
        assert_eq!((found.tables.len(), found.forms.len()), (1, 0));
        let form = grid(&[
            &["项目支出绩效跟踪分析表"],
            &["项目名称", "宣传经费"],
            &["项目资金（万元）", "年初预算数", "调整后预算数", "实际支出数", "预算执行率"],
            &["", "10.00", "10.00", "9.00", "90.00%"],
        ]);
        let found = documents_in(&form, 0, 0);
        assert_eq!((found.tables.len(), found.forms.len()), (0, 1));
        assert_eq!(found.forms[0].project_name(), Some("宣传经费"));
    }

    #[test]
    fn a_sheet_with_neither_is_skipped() {
        let text = grid(&[&["立项依据"], &["根据《北京市预算绩效管理办法》……"]]);
        let found = documents_in(&text, 0, 0);
        assert!(found.tables.is_empty() && found.forms.is_empty());
        assert_eq!(found.skipped.map(|s| s.reason), Some(SkipReason::NeitherListNorForm));
    }
}
