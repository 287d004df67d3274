//! What each region of a sheet is (FORMATS.md §2.4): a form (from its title row down to the next
//! title), a list (wherever a list header stands outside the forms), or neither — a sheet with
//! neither is skipped and named (S003), never an error.

use std::ops::Range;

use crate::model::{Form, ListTable, SkipReason, SkippedSheet};
use crate::read::form::{read_form, titles_in};
use crate::read::grid::{Grid, LettingGo, SheetKind, SheetRows};
use crate::read::header::{role_of, Role};
use crate::read::table::{plan_tables, TablePlan};

/// The documents of one sheet.
pub struct SheetDocuments {
    pub tables: Vec<ListTable>,
    pub forms: Vec<Form>,
    pub skipped: Option<SkippedSheet>,
}

/// Reads a sheet's forms and lists, numbering them from the workbook's counts so far.
pub fn documents_in(grid: &Grid, first_table: usize, first_form: usize) -> SheetDocuments {
    let plan = plan_documents(grid, first_table, first_form);
    let mut sheet = grid;
    plan.into_documents(&mut sheet)
}

/// [`documents_in`], dropping each row of a list from the grid once it is read: for a check whose
/// report needs no cells afterwards (no copy, no preview). The grid keeps what no list read, and what
/// another reader may still ask for (see [`LettingGo`]).
pub fn documents_letting_go(grid: &mut Grid, first_table: usize, first_form: usize) -> SheetDocuments {
    let plan = plan_documents(grid, first_table, first_form);
    let spans: Vec<Range<u32>> = plan.tables.iter().map(TablePlan::rows).collect();
    let overlapping = |at: usize| spans.iter().enumerate().any(|(other, s)| other != at && s.start < spans[at].end && spans[at].start < s.end);
    let kept = (0..spans.len()).filter(|at| overlapping(*at)).map(|at| spans[at].clone()).collect();
    plan.into_documents(&mut LettingGo::new(grid, kept))
}

/// A sheet's forms, read, and its lists, planned.
struct SheetPlan {
    tables: Vec<TablePlan>,
    forms: Vec<Form>,
    skipped: Option<SkippedSheet>,
}

impl SheetPlan {
    fn into_documents(self, sheet: &mut impl SheetRows) -> SheetDocuments {
        let tables = self.tables.into_iter().map(|plan| plan.into_table(sheet)).collect();
        SheetDocuments { tables, forms: self.forms, skipped: self.skipped }
    }
}

fn plan_documents(grid: &Grid, first_table: usize, first_form: usize) -> SheetPlan {
    if let Some(reason) = not_a_worksheet(grid) {
        return SheetPlan { tables: Vec::new(), forms: Vec::new(), skipped: Some(SkippedSheet { sheet: grid.name.clone(), reason }) };
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
    let tables = plan_tables(grid, first_table, &regions);
    let skipped = (tables.is_empty() && forms.is_empty())
        .then(|| SkippedSheet { sheet: grid.name.clone(), reason: SkipReason::NeitherListNorForm });
    SheetPlan { tables, forms, skipped }
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
    use crate::model::RowKind;
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

    /// Numbers as numbers, the rest as text: a sheet as a unit's export stores it.
    fn typed(rows: &[Vec<String>], merges: Vec<crate::read::grid::Merge>) -> Grid {
        let cell = |t: &String| crate::read::grid::GridCell {
            value: match t.parse::<f64>() {
                _ if t.is_empty() => Value::Empty,
                Ok(n) => Value::Number(n),
                Err(_) => Value::Text(t.as_str().into()),
            },
            ..Default::default()
        };
        Grid::new("s", rows.iter().map(|r| r.iter().map(cell).collect()).collect(), merges)
    }

    fn owned(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|r| r.iter().map(|t| t.to_string()).collect()).collect()
    }

    /// A list with levels, a breakdown, a department merged down its rows, a column of amounts no
    /// header names and one of reasons, and a planted error.
    fn structured() -> Grid {
        let rows = owned(&[
            &["序号", "科室", "项目名称", "年初预算金额", "调整后预算金额", "实际支出金额", "预算支出比例", "备用", "偏差原因"],
            &["一、", "", "城市运行类", "30", "30", "27", "0.9", "3", ""],
            &["1", "综合办公室", "宣传经费", "10", "10", "9", "0.9", "1", "受疫情影响"],
            &["", "", "其中：财政拨款", "8", "8", "7", "", "", ""],
            &["2", "", "会议经费", "20", "20", "18", "0.8", "2", ""],
            &["", "小计", "", "30", "30", "27", "0.9", "3", ""],
            &["", "合计", "", "30", "30", "27", "0.9", "3", ""],
        ]);
        let merge = crate::read::grid::Merge { first_row: 2, first_col: 1, last_row: 4, last_col: 1 };
        typed(&rows, vec![merge])
    }

    /// Two lists side by side, reading the same rows.
    fn side_by_side() -> Grid {
        let mut rows = vec![vec![String::new(); 11]; 4];
        let left = owned(&[
            &["项目名称", "年初预算金额", "调整后预算金额", "实际支出金额", "预算支出比例"],
            &["甲", "10", "10", "9", "0.9"],
            &["乙", "20", "20", "18", "0.9"],
            &["合计", "30", "30", "27", "0.9"],
        ]);
        for (row, cells) in left.iter().enumerate() {
            rows[row][..5].clone_from_slice(cells);
            rows[row][6..].clone_from_slice(cells);
        }
        typed(&rows, Vec::new())
    }

    /// [`structured`]'s rows again and again, long enough to be read on both cores when kept: its
    /// departments, merged down or written once, carried across the halves.
    fn structured_long() -> Grid {
        let mut rows = owned(&[&["序号", "科室", "项目名称", "年初预算金额", "调整后预算金额", "实际支出金额", "预算支出比例", "备用", "偏差原因"]]);
        let mut merges = Vec::new();
        for block in 0..700u32 {
            let department = format!("{}科", block / 3);
            let first = rows.len() as u32 + 1;
            if block % 2 == 0 {
                merges.push(crate::read::grid::Merge { first_row: first, first_col: 1, last_row: first + 2, last_col: 1 });
            }
            let written = if block % 3 == 0 { department.as_str() } else { "" };
            rows.extend(owned(&[
                &["一、", "", "城市运行类", "30", "30", "27", "0.9", "3", ""],
                &["1", written, "宣传经费", "10", "10", "9", "0.9", "1", "受疫情影响"],
                &["", "", "其中：财政拨款", "8", "8", "7", "", "", ""],
                &["2", "", "会议经费", "20", "20", "18", "0.8", "2", ""],
                &["", "小计", "", "30", "30", "27", "0.9", "3", ""],
            ]));
        }
        rows.extend(owned(&[&["", "合计", "", "21000", "21000", "18900", "0.9", "2100", ""]]));
        typed(&rows, merges)
    }

    /// A list longer than one block of rows let go at once.
    fn long() -> Grid {
        let mut rows = owned(&[&["序号", "项目名称", "年初预算金额", "调整后预算金额", "实际支出金额", "预算支出比例"]]);
        for i in 1..=20_000 {
            let actual = if i == 15_000 { "7" } else { "9" };
            rows.push([i.to_string(), format!("项目{i}"), "10".into(), "10".into(), actual.into(), "0.9".into()].into());
        }
        typed(&rows, Vec::new())
    }

    #[test]
    fn letting_go_of_the_cells_reads_the_same_documents() {
        let path = std::path::Path::new("t.xlsx");
        let grids = vec![structured(), side_by_side(), long(), structured_long()];
        let kept = crate::read::workbook_from_grids(path, &grids);
        let let_go = crate::read::workbook_letting_go(path, &mut { grids });
        assert_eq!(kept, let_go);
        assert_eq!(kept.tables.len(), 5);
        let departments = |t: &crate::model::ListTable| t.rows.iter().filter_map(|r| r.department.clone()).collect::<std::collections::HashSet<_>>().len();
        assert_eq!(departments(&kept.tables[4]), 234, "every block's department carried, across the halves too");
        let structured = &kept.tables[0];
        assert_eq!(structured.columns.extra_amounts.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["unplaced_备用"]);
        let kinds: Vec<RowKind> = structured.rows.iter().map(|r| r.kind).collect();
        use crate::model::RowKind::*;
        assert_eq!(kinds, [Level, Project, Breakdown, Project, Subtotal, Total]);
        assert_eq!(structured.rows[3].department.as_deref(), Some("综合办公室"), "carried down the merge");
        assert_eq!(structured.rows[1].extra(structured, "deviation_reason"), Some("受疫情影响"));
    }

    #[test]
    fn a_list_lets_go_of_its_rows_and_keeps_what_others_read() {
        let mut grid = structured();
        let found = documents_letting_go(&mut grid, 0, 0);
        assert_eq!(found.tables[0].rows.len(), 6);
        let held: Vec<u32> = (0..grid.height()).filter(|r| !grid.row_cells(*r).is_empty()).collect();
        assert_eq!(held, [0, 2], "the header, and the anchor of the merged department");

        let mut grid = side_by_side();
        let found = documents_letting_go(&mut grid, 0, 0);
        assert_eq!(found.tables.len(), 2);
        assert!((0..4).all(|r| !grid.row_cells(r).is_empty()), "both tables read these rows");

        let mut grid = long();
        let found = documents_letting_go(&mut grid, 0, 0);
        assert_eq!(found.tables[0].rows.len(), 20_000);
        assert!((1..=20_000).all(|r| grid.row_cells(r).is_empty()));
    }
}
