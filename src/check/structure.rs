//! S001–S002: is there a table at all, and is any project listed twice.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use crate::check::{Draft, Sink};
use crate::model::{CellRef, ListRow, ListTable, SkipReason, SkippedSheet, Workbook};
use crate::read::text::squash;

/// S001: the workbook has no recognisable header. Reported on the first sheet's A1.
pub fn no_table(first_sheet: &str, sheets: &[String], sink: &mut Sink) {
    let message = match sheets.is_empty() {
        true => sink.say("工作簿中没有任何工作表".to_string(), "the workbook holds no sheet at all".to_string()),
        false => {
            let listed = sheets.join("、");
            sink.say(
                format!("没有找到附件1表头（需要“项目名称”及“调整后预算金额”或“实际支出金额”等列）；已查看工作表：{listed}"),
                format!("no 附件1 header found (a 项目名称 column and 调整后预算金额 or 实际支出金额 columns are expected); sheets looked at: {listed}"),
            )
        }
    };
    let cell = (!first_sheet.is_empty()).then(|| crate::model::CellRef::new(0, 0));
    sink.at_sheet("S001", first_sheet, cell).emit(message);
}

/// S003 (info): each sheet that holds neither a list nor a form, and why.
pub fn skipped_sheets(skipped: &[SkippedSheet], sink: &mut Sink) {
    for sheet in skipped {
        let message = match &sheet.reason {
            SkipReason::NeitherListNorForm => sink.say(
                format!("工作表“{}”既不是清单也不是绩效表，已跳过", sheet.sheet),
                format!("sheet '{}' is neither a list nor a form; skipped", sheet.sheet),
            ),
            SkipReason::NotAWorksheet(what) => sink.say(
                format!("工作表“{}”是{what}，不含数据表，已跳过", sheet.sheet),
                format!("sheet '{}' is a {what} sheet with no data; skipped", sheet.sheet),
            ),
        };
        sink.at_sheet("S003", &sheet.sheet, None).emit(message);
    }
}

/// S004 (once per sheet): formula cells without a stored result that could not be computed.
/// S005: formula cells whose stored result is stale; the first few of a sheet each, then their count.
pub fn formulas(workbook: &Workbook, sink: &mut Sink) {
    const STALE_SHOWN: usize = 50;
    for sheet in &workbook.formula_notes {
        if let Some(first) = sheet.uncomputed.first() {
            let (count, why, cell) = (sheet.uncomputed.len(), first.why.describe(sink.lang), CellRef::new(first.row, first.col));
            let formula = &first.formula;
            let message = sink.say(
                format!("工作表“{}”有 {count} 个公式没有保存计算结果，且 budgetlint 无法计算（{why}，如 {cell} 的 ={formula}），这些单元格未核对：请在 Excel 中打开并保存后再检查", sheet.sheet),
                format!("sheet '{}': {count} formula cell(s) hold no stored result and cannot be computed here ({why}; e.g. {cell}: ={formula}); they are not checked: open and save the workbook in Excel, then check again", sheet.sheet),
            );
            at_cell(workbook, "S004", &sheet.sheet, cell, sink).found(format!("={formula}")).emit(message);
        }
        for stale in sheet.stale.iter().take(STALE_SHOWN) {
            let cell = CellRef::new(stale.row, stale.col);
            let show = |value: rust_decimal::Decimal| match stale.decimals {
                Some(decimals) => format!("{:.*}", decimals.min(10) as usize, value.round_dp(decimals)),
                None => value.normalize().to_string(),
            };
            let (formula, stored, computed) = (&stale.formula, show(stale.stored), show(stale.computed));
            let message = sink.say(
                format!("{cell} 的公式 ={formula} 按表中数据应为 {computed}，但保存的结果是 {stored}：工作簿修改数据后未重新计算？"),
                format!("{cell}: ={formula} gives {computed} from the sheet's cells, but its stored result is {stored}: was the workbook changed without recalculating?"),
            );
            at_cell(workbook, "S005", &sheet.sheet, cell, sink).found(stored.to_string()).expected(computed.to_string()).emit(message);
        }
        if sheet.stale.len() > STALE_SHOWN {
            let more = sheet.stale.len() - STALE_SHOWN;
            let message = sink.say(
                format!("工作表“{}”另有 {more} 个公式保存的结果与重算结果不符", sheet.sheet),
                format!("sheet '{}': {more} more formula(s) whose stored result differs from what they compute", sheet.sheet),
            );
            at_cell(workbook, "S005", &sheet.sheet, CellRef::new(sheet.stale[STALE_SHOWN].row, sheet.stale[STALE_SHOWN].col), sink).emit(message);
        }
    }
}

/// A finding at a cell of a sheet: on the list row holding it where there is one (its unit,
/// department and project), else on the sheet, with the unit of the sheet's first document.
fn at_cell<'s, 'a>(workbook: &Workbook, rule: &'static str, sheet: &str, cell: CellRef, sink: &'s mut Sink<'a>) -> Draft<'s, 'a> {
    let tables = || workbook.tables.iter().filter(|t| t.sheet == sheet);
    if let Some((table, row)) = tables().find_map(|t| t.rows.iter().find(|r| r.row == cell.row).map(|r| (t, r))) {
        return sink.at(rule, table, Some(row), Some(cell));
    }
    let unit = tables().map(|t| t.unit.clone()).chain(workbook.forms.iter().filter(|f| f.sheet == sheet).map(|f| f.unit.clone())).next();
    sink.at_sheet(rule, sheet, Some(cell)).unit(unit)
}

/// S002: the same project of the same unit and department twice in one table; reported on the later row.
/// Units of a consolidated list share project names (公用经费, 宣传经费) without sharing projects.
pub fn check_duplicates(table: &ListTable, sink: &mut Sink) {
    duplicates_found_by(fixed_hash, table, sink);
}

fn duplicates_found_by(fixed_hash: fn(&DuplicateKey) -> u64, table: &ListTable, sink: &mut Sink) {
    let key_of = |row| duplicate_key(table, row);
    // A project's first listing is found by the hash of its key and confirmed on the key itself, so
    // a million-row list holds 16 bytes a project rather than its three texts. Keys that meet
    // another's hash without being equal (rare) are kept whole.
    let mut first_by_hash: HashMap<u64, &ListRow> = HashMap::with_capacity(table.rows.len());
    let mut beside_a_hash: HashMap<DuplicateKey, &ListRow> = HashMap::new();
    for row in table.projects() {
        let Some(key) = key_of(row) else { continue };
        let hash = fixed_hash(&key);
        let first = match first_by_hash.get(&hash) {
            None => {
                first_by_hash.insert(hash, row);
                continue;
            }
            Some(first) if key_of(first).as_ref() == Some(&key) => Some(*first),
            Some(_) => beside_a_hash.get(&key).copied(),
        };
        match first {
            Some(first) => duplicate(table, first, row, sink),
            None => {
                beside_a_hash.insert(key, row);
            }
        }
    }
}

/// Budget unit, department and project name, each squashed (spaces and full-width forms made one).
type DuplicateKey<'a> = (Cow<'a, str>, Cow<'a, str>, Cow<'a, str>);

fn duplicate_key<'a>(table: &'a ListTable, row: &'a ListRow) -> Option<DuplicateKey<'a>> {
    let project = row.project.as_deref()?;
    Some((squash(table.unit_of(row)), squash(row.department.as_deref().unwrap_or("")), squash(project)))
}

fn fixed_hash(key: &DuplicateKey) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

fn duplicate(table: &ListTable, first: &ListRow, again: &ListRow, sink: &mut Sink) {
    let label = again.label(sink.lang);
    let first_row = first.row + 1;
    let message = sink.say(
        format!("{label}：与第 {first_row} 行重复列示，合计会重复计算"),
        format!("{label}: listed again (first on row {first_row}); the total counts it twice"),
    );
    sink.at("S002", table, Some(again), table.project_cell(again)).inputs(format!("row {first_row}")).emit(message);
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{findings_of, workbook_of, TableBuilder};
    use crate::check::Sink;
    use crate::settings::Settings;

    #[test]
    fn s001_says_when_there_is_no_sheet_to_look_at() {
        let checked = |sheets: &[&str]| {
            let grids: Vec<crate::read::grid::Grid> = sheets.iter().map(|name| crate::read::grid::Grid::from_values(name, vec![])).collect();
            let checked = crate::report::check_grids(std::path::Path::new("x.xlsx"), &grids, &Settings::default());
            checked.findings.into_iter().filter(|f| f.rule == "S001").map(|f| f.message).collect::<Vec<_>>()
        };
        assert_eq!(checked(&[]), vec!["工作簿中没有任何工作表".to_string()]);
        assert!(checked(&["说明"])[0].ends_with("已查看工作表：说明"));
    }

    #[test]
    fn s002_fires_on_the_second_listing() {
        let table = TableBuilder::new()
            .dept_project("党群工作办公室", "宣传经费", "146.00", "110.40", "67.00", "60.69")
            .dept_project("党群工作办公室", "宣传 经费", "146.00", "110.40", "67.00", "60.69")
            .build();
        let findings = findings_of(&table, "S002");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].row, Some(3));
    }

    #[test]
    fn s002_is_silent_for_the_same_name_in_two_departments() {
        let table = TableBuilder::new()
            .dept_project("党群工作办公室", "宣传经费", "146.00", "110.40", "67.00", "60.69")
            .dept_project("社区建设办公室", "宣传经费", "10.00", "10.00", "10.00", "100.00")
            .build();
        assert!(findings_of(&table, "S002").is_empty());
    }

    #[test]
    fn s002_is_silent_for_the_same_name_in_two_units_and_fires_within_one() {
        let table = TableBuilder::new()
            .unit_project("月坛街道", "公用经费", "146.00", "110.40", "67.00", "60.69")
            .unit_project("展览路街道", "公用经费", "10.00", "10.00", "10.00", "100.00")
            .unit_project("展览路街道", "公用经费", "10.00", "10.00", "10.00", "100.00")
            .build();
        let findings = findings_of(&table, "S002");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].unit.as_deref(), Some("展览路街道"));
    }

    /// Every key meeting every other's hash: the duplicates found are still exactly the equal keys.
    #[test]
    fn s002_confirms_a_hash_on_the_names_themselves() {
        let table = TableBuilder::new()
            .dept_project("党群工作办公室", "宣传经费", "146.00", "110.40", "67.00", "60.69")
            .dept_project("社区建设办公室", "宣传经费", "10.00", "10.00", "10.00", "100.00")
            .dept_project("社区建设办公室", "公用经费", "10.00", "10.00", "10.00", "100.00")
            .dept_project("社区建设办公室", "宣传 经费", "10.00", "10.00", "10.00", "100.00")
            .dept_project("社区建设办公室", "公用经费", "10.00", "10.00", "10.00", "100.00")
            .build();
        let workbook = workbook_of(vec![table.clone()]);
        let settings = Settings::default();
        let mut sink = Sink::new(&workbook, &settings);
        super::duplicates_found_by(|_| 7, &table, &mut sink);
        let found: Vec<(Option<u32>, Option<String>)> = sink.into_findings().into_iter().map(|f| (f.row, f.inputs)).collect();
        assert_eq!(found, [(Some(5), Some("row 3".to_string())), (Some(6), Some("row 4".to_string()))]);
        assert_eq!(findings_of(&table, "S002").len(), 2);
    }
}

