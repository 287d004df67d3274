//! Finding a 附件1 header on a sheet: column synonyms, two-row headers with merged group cells.

use std::borrow::Cow;

use crate::model::{AmountColumn, Columns, Derived, ExtraColumn, MoneyUnit};
use crate::read::grid::Grid;
use crate::read::text::squash;

/// What a header cell announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Seq,
    /// The budget unit of each row (单位名称): a consolidated list.
    Unit,
    Department,
    Project,
    BudgetInitial,
    BudgetAdjusted,
    Actual,
    Ratio,
    /// An amount column beyond the core three: its frame name and how it is derived, if it is.
    OtherAmount(&'static str, Option<Derived>),
}

const SYNONYMS: &[(Role, &[&str])] = &[
    (Role::Seq, &["序号", "编号"]),
    (Role::Unit, &["单位名称", "预算单位", "预算单位名称", "单位", "填报单位", "所属单位", "基层单位"]),
    (
        Role::Department,
        &["实施部室", "实施部门", "责任部室", "责任部门", "科室", "实施科室", "部室", "部门", "处室", "业务科室"],
    ),
    (Role::Project, &["项目名称", "名称"]),
    (
        Role::BudgetInitial,
        &["年初预算金额", "年初预算数", "年初预算", "年初批复预算", "年初预算资金", "年初批复数"],
    ),
    (
        Role::BudgetAdjusted,
        &["调整后预算金额", "调整后预算数", "调整后预算", "全年预算数", "全年预算", "预算调整数", "调整预算数"],
    ),
    (Role::Actual, &["实际支出金额", "实际支出数", "实际支出", "执行数", "支出金额", "支出数", "实际执行数"]),
    (
        Role::Ratio,
        &[
            "预算支出比例", "预算执行率", "执行率", "预算完成比例", "支出进度", "预算执行进度", "完成比例",
            "支出比例", "预算支出比率", "执行进度",
        ],
    ),
];

/// Amount columns beyond the core three, by their names once brackets are dropped
/// (`追加（减）预算数` reads 追加预算数).
const OTHER_AMOUNTS: &[(&str, Option<Derived>, &[&str])] = &[
    (
        "budget_change",
        Some(Derived::Change),
        &["追加预算数", "追加预算", "追加数", "追加金额", "调增预算数", "调增数", "调增", "调整数", "调整金额", "预算调整额", "追减预算数"],
    ),
    ("balance", Some(Derived::Balance), &["结余资金", "结余", "结余金额", "结余数", "预算结余", "剩余资金", "剩余金额", "未支出金额", "未支出"]),
    ("fiscal_funds", None, &["财政拨款", "财政拨款资金", "财政资金", "当年财政拨款"]),
    ("carried_over", None, &["上年结转", "上年结转资金", "结转资金"]),
    ("other_funds", None, &["其他资金", "其他来源资金"]),
    ("central_funds", None, &["中央资金", "中央财政资金"]),
    ("municipal_funds", None, &["市级资金", "市级财政资金"]),
    ("district_funds", None, &["区级资金", "区级财政资金"]),
    ("own_funds", None, &["自筹资金", "单位自筹"]),
];

/// Known extra columns get English names; others keep their header text.
const EXTRA_NAMES: &[(&str, &[&str])] = &[
    ("category", &["项目类别", "项目类型"]),
    ("target_status", &["绩效目标完成情况", "绩效目标实现情况"]),
    ("deviates_from_target", &["是否偏离绩效目标", "是否偏离"]),
    ("deviation_reason", &["偏差原因", "偏差原因分析", "偏离原因"]),
    ("remarks", &["备注"]),
];

/// A header cell's text without spaces, units in brackets and the leading 项目 (项目年初预算金额 = 年初预算金额).
struct HeaderText {
    text: String,
    unit: Option<MoneyUnit>,
}

fn header_text(raw: &str) -> HeaderText {
    let squashed = squash(raw);
    let mut text = String::with_capacity(squashed.len());
    let mut unit = None;
    let mut bracket = String::new();
    let mut depth = 0;
    for c in squashed.chars() {
        match c {
            '(' | '【' | '[' => depth += 1,
            ')' | '】' | ']' if depth > 0 => {
                depth -= 1;
                unit = unit.or_else(|| unit_named(&bracket));
                bracket.clear();
            }
            _ if depth > 0 => bracket.push(c),
            _ => text.push(c),
        }
    }
    HeaderText { text, unit }
}

/// `万元` or `元` when the text names a unit.
pub fn unit_named(text: &str) -> Option<MoneyUnit> {
    if text.contains("万元") {
        Some(MoneyUnit::TenThousandYuan)
    } else if text.contains('元') {
        Some(MoneyUnit::Yuan)
    } else {
        None
    }
}

pub fn role_of(raw: &str) -> Option<Role> {
    let text = header_text(raw).text;
    let unprefixed = text.strip_prefix("项目").filter(|rest| !rest.is_empty());
    let named = |names: &[&str]| names.iter().any(|n| *n == text || Some(*n) == unprefixed);
    SYNONYMS.iter().find_map(|(role, names)| named(names).then_some(*role)).or_else(|| {
        OTHER_AMOUNTS.iter().find_map(|(name, derived, names)| named(names).then_some(Role::OtherAmount(name, *derived)))
    })
}

fn extra_name(header: &str) -> String {
    let text = header_text(header).text;
    EXTRA_NAMES
        .iter()
        .find(|(_, names)| names.contains(&text.as_str()))
        .map_or(text, |(name, _)| name.to_string())
}

/// A recognised header: where it is and what each column holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub first_row: u32,
    pub last_row: u32,
    pub columns: Columns,
    pub extras: Vec<ExtraColumn>,
    /// A unit named inside a figure header, e.g. `年初预算数（元）`.
    pub unit: Option<MoneyUnit>,
    /// The columns the table spans, first to last + 1: tables may stand side by side.
    pub band: (u32, u32),
}

impl Header {
    fn core_roles(&self) -> usize {
        let c = &self.columns;
        [c.project, c.budget_initial, c.budget_adjusted, c.actual, c.ratio].iter().filter(|x| x.is_some()).count()
    }

    fn is_complete(&self) -> bool {
        let c = &self.columns;
        c.project.is_some() && (c.budget_adjusted.is_some() || c.actual.is_some()) && self.core_roles() >= 3
    }

    pub fn label_columns(&self) -> Vec<u32> {
        let c = &self.columns;
        let first_figure = [c.budget_initial, c.budget_adjusted, c.actual, c.ratio].into_iter().flatten().min();
        let mut cols: Vec<u32> = [c.seq, c.unit, c.department, c.project].into_iter().flatten().collect();
        if let Some(first) = first_figure {
            cols.extend(self.band.0..first);
        }
        cols.sort_unstable();
        cols.dedup();
        cols
    }
}

/// The headers starting at `row`: one per table standing side by side on the sheet (two years,
/// two units), each over its own band of columns.
pub fn headers_at(grid: &Grid, row: u32) -> Vec<Header> {
    headers_within(grid, row, (0, u32::MAX))
}

/// The headers starting at `row` within the columns `cols` (first to last + 1): what stands beside a
/// table already found, or what ends a table inside its own columns.
pub fn headers_within(grid: &Grid, row: u32, cols: (u32, u32)) -> Vec<Header> {
    let mut texts_top = header_row_texts(grid, row);
    for (col, text) in texts_top.iter_mut().enumerate() {
        if !(cols.0..cols.1).contains(&(col as u32)) {
            *text = None;
        }
    }
    if texts_top.iter().all(|t| t.is_none()) {
        return Vec::new();
    }
    bands_of(&texts_top)
        .into_iter()
        .map(|band| (band.0.max(cols.0), band.1.min(cols.1)))
        .filter_map(|band| header_in_band(grid, row, &texts_top, band))
        .collect()
}

/// The header starting at `row` over the whole row, if the row (alone or with the row below) is one.
pub fn header_at(grid: &Grid, row: u32) -> Option<Header> {
    headers_at(grid, row).into_iter().next()
}

/// Column bands of a header row: a new band starts before each 项目名称 after the first, just past
/// the blank column that separates the tables, or else where a 序号 / department column repeats.
fn bands_of(texts: &[Option<String>]) -> Vec<(u32, u32)> {
    let role = |col: usize| texts[col].as_deref().and_then(role_of);
    let projects: Vec<usize> = (0..texts.len()).filter(|c| role(*c) == Some(Role::Project)).collect();
    let mut starts = vec![0usize];
    for pair in projects.windows(2) {
        let (previous, next) = (pair[0], pair[1]);
        let blank = (previous + 1..next).rev().find(|c| texts[*c].is_none()).map(|c| c + 1);
        let repeated = (previous + 1..next).find(|c| matches!(role(*c), Some(Role::Seq | Role::Department | Role::Unit)));
        starts.push(blank.or(repeated).unwrap_or(next));
    }
    let mut bands: Vec<(u32, u32)> = starts.windows(2).map(|w| (w[0] as u32, w[1] as u32)).collect();
    bands.push((*starts.last().unwrap_or(&0) as u32, u32::MAX));
    bands
}

fn header_in_band(grid: &Grid, row: u32, texts_top: &[Option<String>], band: (u32, u32)) -> Option<Header> {
    let in_band = |texts: Vec<Option<String>>| -> Vec<Option<String>> {
        texts.into_iter().enumerate().map(|(col, t)| t.filter(|_| (band.0..band.1).contains(&(col as u32)))).collect()
    };
    let top = in_band(texts_top.to_vec());
    if top.iter().all(|t| t.is_none()) {
        return None;
    }
    let single = single_row_header(row, &top);
    let double = two_row_texts(grid, row, &top, band).map(|candidates| build_header(row, row + 1, candidates));
    let header = match (single.is_complete(), double) {
        (_, Some(double)) if double.is_complete() && double.core_roles() > single.core_roles() => {
            // A title or unit line over a one-row header also reads as a two-row header; the
            // lower row alone says as much then, and the header starts there.
            let below = single_row_header(row + 1, &in_band(header_row_texts(grid, row + 1)));
            (double.core_roles() > below.core_roles()).then_some(double)
        }
        (true, _) => Some(single),
        _ => None,
    };
    header.map(|h| Header { band, ..h })
}

fn single_row_header(row: u32, texts: &[Option<String>]) -> Header {
    build_header(row, row, texts.iter().map(|t| vec![t.clone()]).collect())
}

/// Texts of a header row; numbers disqualify it (a data row is never a header).
fn header_row_texts(grid: &Grid, row: u32) -> Vec<Option<String>> {
    (0..grid.width(row).max(merged_width(grid, row)))
        .map(|col| grid.visible(row, col).value.display().filter(|t| !t.trim().is_empty()).map(Cow::into_owned))
        .collect()
}

fn merged_width(grid: &Grid, row: u32) -> u32 {
    grid.merges().iter().filter(|m| m.first_row <= row && row <= m.last_row).map(|m| m.last_col + 1).max().unwrap_or(0)
}

/// For a two-row header: each column's candidate texts, best first (the sub-cell, sub+group, group+sub, group).
fn two_row_texts(grid: &Grid, row: u32, top: &[Option<String>], band: (u32, u32)) -> Option<Vec<Vec<Option<String>>>> {
    let below = row + 1;
    if below >= grid.height() {
        return None;
    }
    let width = (top.len() as u32).max(grid.width(below)).min(band.1);
    let mut group: Option<String> = None;
    let mut any_sub = false;
    let mut columns = Vec::with_capacity(width as usize);
    for col in 0..width {
        let own_top = top.get(col as usize).cloned().flatten();
        if col < band.0 {
            columns.push(vec![None]);
            continue;
        }
        if own_top.is_some() {
            group = own_top.clone();
        }
        let sub = if grid.is_merged_from_above(below, col) {
            None
        } else {
            grid.cell(below, col).value.display().filter(|t| !t.trim().is_empty()).map(Cow::into_owned)
        };
        let Some(sub) = sub else {
            columns.push(vec![own_top]);
            continue;
        };
        if matches!(grid.cell(below, col).value, crate::read::grid::Value::Number(_)) {
            return None;
        }
        any_sub = true;
        let group_text = own_top.or_else(|| group.clone()).unwrap_or_default();
        // 项目预算金额 over 年初 reads 年初预算金额: the group's 项目 prefix goes when the sub-cell leads.
        let squashed_group = squash(&group_text);
        let group_core = squashed_group.strip_prefix("项目").unwrap_or(&squashed_group);
        columns.push(vec![
            Some(sub.clone()),
            Some(format!("{sub}{group_core}")),
            Some(format!("{group_text}{sub}")),
            Some(group_text),
        ]);
    }
    any_sub.then_some(columns)
}

fn build_header(first_row: u32, last_row: u32, candidates: Vec<Vec<Option<String>>>) -> Header {
    let mut header = Header { first_row, last_row, columns: Columns::default(), extras: Vec::new(), unit: None, band: (0, u32::MAX) };
    for (col, texts) in candidates.iter().enumerate() {
        let col = col as u32;
        let texts: Vec<&String> = texts.iter().flatten().filter(|t| !t.is_empty()).collect();
        let Some(first) = texts.first() else { continue };
        let role = texts.iter().find_map(|t| role_of(t));
        let assigned = role.is_some_and(|role| assign(&mut header.columns, role, col, first));
        if assigned {
            header.unit = header.unit.or_else(|| texts.iter().find_map(|t| header_text(t).unit));
        } else {
            header.extras.push(ExtraColumn::new(extra_name(first), squash(first).into_owned(), col));
        }
    }
    header
}

/// Puts `col` in the role's slot unless an earlier column already holds it.
fn assign(columns: &mut Columns, role: Role, col: u32, header: &str) -> bool {
    let slot = match role {
        Role::OtherAmount(name, derived) => {
            if columns.extra_amounts.iter().any(|c| c.name == name) {
                return false;
            }
            let header = squash(header).into_owned();
            columns.extra_amounts.push(AmountColumn { name: name.to_string(), header, col, derived });
            return true;
        }
        Role::Seq => &mut columns.seq,
        Role::Unit => &mut columns.unit,
        Role::Department => &mut columns.department,
        Role::Project => &mut columns.project,
        Role::BudgetInitial => &mut columns.budget_initial,
        Role::BudgetAdjusted => &mut columns.budget_adjusted,
        Role::Actual => &mut columns.actual,
        Role::Ratio => &mut columns.ratio,
    };
    if slot.is_some() {
        return false;
    }
    *slot = Some(col);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::grid::{Merge, Value};

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn synonyms_and_decorations_resolve_to_roles() {
        assert_eq!(role_of("实施部门"), Some(Role::Department));
        assert_eq!(role_of("项目年初预算金额"), Some(Role::BudgetInitial));
        assert_eq!(role_of("调整后\n预算金额"), Some(Role::BudgetAdjusted));
        assert_eq!(role_of(" 全年预算数（万元）"), Some(Role::BudgetAdjusted));
        assert_eq!(role_of("执行数"), Some(Role::Actual));
        assert_eq!(role_of("预算执行率(%)"), Some(Role::Ratio));
        assert_eq!(role_of("支出进度"), Some(Role::Ratio));
        assert_eq!(role_of("备注"), None);
        assert_eq!(header_text("年初预算数（元）").unit, Some(MoneyUnit::Yuan));
    }

    #[test]
    fn a_one_row_header_is_found_with_extras_kept() {
        let grid = Grid::from_values(
            "s",
            vec![vec![
                text("序号"),
                text("实施部室"),
                text("项目名称"),
                text("年初预算金额"),
                text("调整后预算金额"),
                text("实际支出金额"),
                text("预算支出比例"),
                text("偏差原因"),
                text("资金来源"),
            ]],
        );
        let header = header_at(&grid, 0).expect("header");
        assert_eq!(header.columns.project, Some(2));
        assert_eq!(header.columns.ratio, Some(6));
        let extras: Vec<_> = header.extras.iter().map(|e| (e.name.as_str(), e.col)).collect();
        assert_eq!(extras, vec![("deviation_reason", 7), ("资金来源", 8)]);
        assert_eq!(header.label_columns(), vec![0, 1, 2]);
    }

    #[test]
    fn a_two_row_header_joins_group_and_sub_cells() {
        let rows = vec![
            vec![text("序号"), text("项目名称"), text("预算金额"), Value::Empty, text("实际支出\n金额"), text("执行率")],
            vec![Value::Empty, Value::Empty, text("年初"), text("调整后"), Value::Empty, Value::Empty],
        ];
        let merges = vec![
            Merge { first_row: 0, first_col: 0, last_row: 1, last_col: 0 },
            Merge { first_row: 0, first_col: 1, last_row: 1, last_col: 1 },
            Merge { first_row: 0, first_col: 2, last_row: 0, last_col: 3 },
            Merge { first_row: 0, first_col: 4, last_row: 1, last_col: 4 },
            Merge { first_row: 0, first_col: 5, last_row: 1, last_col: 5 },
        ];
        let plain = Grid::from_values("s", rows.clone());
        let merged = Grid::new("s", plain_rows(&plain), merges);
        for grid in [&plain, &merged] {
            let header = header_at(grid, 0).expect("two-row header");
            assert_eq!((header.first_row, header.last_row), (0, 1));
            assert_eq!(header.columns.budget_initial, Some(2));
            assert_eq!(header.columns.budget_adjusted, Some(3));
            assert_eq!(header.columns.actual, Some(4));
            assert_eq!(header.columns.ratio, Some(5));
        }
    }

    fn plain_rows(grid: &Grid) -> Vec<Vec<crate::read::grid::GridCell>> {
        (0..grid.height()).map(|r| (0..grid.width(r)).map(|c| grid.cell(r, c).clone()).collect()).collect()
    }

    #[test]
    fn a_unit_line_over_a_one_row_header_is_not_part_of_it() {
        let grid = Grid::from_values(
            "s",
            vec![
                vec![text("单位名称：月坛街道"), Value::Empty, Value::Empty, text("单位：万元")],
                vec![text("项目名称"), text("调整后预算金额"), text("实际支出金额"), text("预算支出比例")],
            ],
        );
        assert_eq!(header_at(&grid, 0), None);
        assert_eq!(header_at(&grid, 1).map(|h| (h.first_row, h.last_row)), Some((1, 1)));
    }

    #[test]
    fn rows_without_the_key_columns_are_not_headers() {
        let grid = Grid::from_values("s", vec![vec![text("项目名称"), text("备注")], vec![text("合计"), Value::Number(1.0)]]);
        assert_eq!(header_at(&grid, 0), None);
        assert_eq!(header_at(&grid, 1), None);
    }
}
