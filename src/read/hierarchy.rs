//! The structure lists carry in their rows (FORMATS.md §1.2): level rows (一、 / （一） / a
//! department's name) above their projects, and 其中 breakdown rows under a project or the 合计.
//!
//! Which rows are projects is decided from the numbering and the arithmetic together. A numbered
//! row followed by rows numbered one level deeper is a level row whatever its figures say (a wrong
//! figure there is the unit's error, reported by A003, not one more project). An unnumbered row that
//! names a department or category is a level row when it has no figures (a heading) or when its
//! figures are the sum of the rows below it; otherwise it is a project.

use std::sync::Arc;

use compact_str::CompactString;

use crate::model::interval::Interval;
use crate::model::{Amount, Field, Figure, ListRow, RowKind};
use crate::read::text::{squash, to_half_width};

/// How a row is numbered, outermost first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ordinal {
    /// Ⅰ、 Ⅱ、
    Roman,
    /// 一、 二、
    ChineseComma,
    /// （一） （二）
    ChineseParen,
    /// 1. 2. written in a label
    ArabicDot,
    /// (1) (2)
    ArabicParen,
    /// ① ②
    Circled,
}

/// Rank of an unnumbered level row (a department's name): inside every numbered level.
const NAMED_GROUP_RANK: u8 = 6;
/// Rank of a row with no ordinal of its own (a project numbered 1, 2, 3 in its 序号 column).
const LEAF_RANK: u8 = 7;

/// What the reader saw of a row before its figures were settled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowShape {
    pub ordinal: Option<Ordinal>,
    /// 其中：… — the first part of a breakdown.
    pub breakdown_head: bool,
    /// Indented, or named like a source of funds, and without a 序号: may continue a breakdown.
    pub continues_breakdown: bool,
    /// The label names a department or category (综合办公室, 城市运行类).
    pub names_group: bool,
}

impl RowShape {
    /// The shape of a row from its 序号 text (a number there is a project's), its label and whether
    /// the label was indented.
    pub fn of(seq: Option<&str>, label: Option<&str>, indented: bool) -> RowShape {
        let label_ordinal = label.and_then(ordinal_of);
        let seq_ordinal = seq.and_then(ordinal_of).filter(|o| !matches!(o, Ordinal::ArabicDot));
        let squashed = label.map(squash);
        let name = squashed.as_deref().map(strip_ordinal).unwrap_or_default();
        RowShape {
            ordinal: seq_ordinal.or(label_ordinal),
            breakdown_head: name.starts_with("其中"),
            continues_breakdown: seq.is_none() && (indented || is_fund_source(name)),
            names_group: names_group(name),
        }
    }

    fn rank(self) -> u8 {
        self.ordinal.map_or(LEAF_RANK, |o| o as u8)
    }
}

const CHINESE_NUMERALS: &str = "一二三四五六七八九十百零〇";
const ROMAN_NUMERALS: &str = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫIVX";

/// The numbering a text starts with, if any: `一、`, `（一）`, `1.`, `(1)`, `①`, `Ⅰ、`.
pub fn ordinal_of(text: &str) -> Option<Ordinal> {
    ordinal_prefix(text).map(|(ordinal, _)| ordinal)
}

/// The text without its leading numbering.
pub fn strip_ordinal(text: &str) -> &str {
    match ordinal_prefix(text) {
        Some((_, len)) => text[len..].trim_start(),
        None => text,
    }
}

/// The numbering a text starts with and its length in bytes.
fn ordinal_prefix(text: &str) -> Option<(Ordinal, usize)> {
    let lead = text.len() - text.trim_start().len();
    let text = text.trim_start();
    // The first few characters decide; kept on the stack, as this runs on every row of every list.
    let mut window = [(0usize, '\0'); 8];
    let mut len = 0;
    for (i, c) in text.char_indices().take(window.len()) {
        window[len] = (i, to_half_width(c));
        len += 1;
    }
    let chars = &window[..len];
    let (_, first) = *chars.first()?;
    let end_after = |n: usize| chars.get(n).map_or(text.len(), |(i, _)| *i) + lead;
    if ('①'..='⑳').contains(&first) {
        return Some((Ordinal::Circled, end_after(1)));
    }
    if first == '(' {
        let digits = chars[1..].iter().take_while(|(_, c)| CHINESE_NUMERALS.contains(*c) || c.is_ascii_digit()).count();
        let close = chars.get(1 + digits).is_some_and(|(_, c)| *c == ')');
        if digits == 0 || !close {
            return None;
        }
        let ordinal = if chars[1].1.is_ascii_digit() { Ordinal::ArabicParen } else { Ordinal::ChineseParen };
        return Some((ordinal, end_after(2 + digits)));
    }
    let (ordinal, count) = if CHINESE_NUMERALS.contains(first) {
        (Ordinal::ChineseComma, chars.iter().take_while(|(_, c)| CHINESE_NUMERALS.contains(*c)).count())
    } else if first.is_ascii_digit() {
        (Ordinal::ArabicDot, chars.iter().take_while(|(_, c)| c.is_ascii_digit()).count())
    } else if ROMAN_NUMERALS.contains(first) {
        (Ordinal::Roman, chars.iter().take_while(|(_, c)| ROMAN_NUMERALS.contains(*c)).count())
    } else {
        return None;
    };
    match chars.get(count).map(|(_, c)| *c) {
        // `一、` or `1.` with its mark; a numeral alone (`一` in a 序号 cell) when nothing follows.
        Some('、' | '.' | ',' | '．') => Some((ordinal, end_after(count + 1))),
        None if count == chars.len() && ordinal != Ordinal::Roman => Some((ordinal, text.len() + lead)),
        _ => None,
    }
}

/// Names of the sources a breakdown splits an amount into.
fn is_fund_source(name: &str) -> bool {
    const SOURCES: &[&str] = &[
        "市级资金", "区级资金", "中央资金", "省级资金", "县级资金", "财政拨款", "当年财政拨款", "上年结转", "上年结转资金",
        "其他资金", "自筹资金", "单位自筹", "一般公共预算", "一般公共预算资金", "政府性基金", "政府性基金预算",
        "市级财政资金", "区级财政资金", "中央财政资金", "专项资金", "事业收入", "其他收入",
    ];
    let name = name.trim_start_matches("其中").trim_start_matches([':', '：']).trim_end_matches([':', '：']);
    SOURCES.contains(&name)
}

/// A department or category name, as level rows carry (综合办公室, 城市运行类, 民生保障组).
fn names_group(name: &str) -> bool {
    const ENDINGS: &[&str] = &["类", "办公室", "科", "部", "处", "中心", "室", "局", "队", "所", "站", "组", "委员会", "街道", "办事处"];
    !name.is_empty() && ENDINGS.iter().any(|e| name.ends_with(e))
}

/// Gives every row of a table its kind (level / breakdown / project among the rows read as projects),
/// its depth and its parent. `department_from_levels`: projects take their department from their
/// nearest level row (for a table without a department column).
pub fn settle_structure(rows: &mut [ListRow], shapes: &[RowShape], department_from_levels: bool) {
    let breakdown_parents = mark_breakdowns(rows, shapes);
    mark_levels(rows, shapes);
    link_tree(rows, shapes, &breakdown_parents, department_from_levels);
}

/// Marks 其中 rows and their continuations; returns each breakdown row's parent (by index).
fn mark_breakdowns(rows: &mut [ListRow], shapes: &[RowShape]) -> Vec<Option<usize>> {
    let mut parents = vec![None; rows.len()];
    let mut parent: Option<usize> = None;
    let mut in_breakdown = false;
    for (i, (row, shape)) in rows.iter_mut().zip(shapes).enumerate() {
        let is_part = row.kind == RowKind::Project && parent.is_some() && (shape.breakdown_head || (in_breakdown && shape.continues_breakdown));
        if is_part {
            row.kind = RowKind::Breakdown;
            parents[i] = parent;
            in_breakdown = true;
        } else {
            in_breakdown = false;
            parent = Some(i);
        }
    }
    parents
}

fn mark_levels(rows: &mut [ListRow], shapes: &[RowShape]) {
    let body: Vec<usize> = (0..rows.len()).filter(|i| rows[*i].kind != RowKind::Breakdown).collect();
    let mut levels = Vec::new();
    for (at, &i) in body.iter().enumerate() {
        if rows[i].kind != RowKind::Project {
            continue;
        }
        let Some(&next) = body.get(at + 1).filter(|n| rows[**n].kind == RowKind::Project) else { continue };
        let shape = shapes[i];
        let is_level = match shape.ordinal {
            Some(_) => shapes[next].rank() > shape.rank(),
            None if shape.names_group && !has_figures(&rows[i]) => true,
            None if shape.names_group => sums_what_follows(rows, shapes, &body[at..]),
            None => false,
        };
        if is_level {
            levels.push(i);
        }
    }
    for i in levels {
        rows[i].kind = RowKind::Level;
    }
}

fn has_figures(row: &ListRow) -> bool {
    Amount::ALL.iter().any(|a| !matches!(row.amount(*a), Field::Absent | Field::Blank(_)))
}

/// Whether the first row of `group` carries the sum of the project rows after it, down to the next
/// department name, 小计 or 合计: every amount it states meets the sum's rounding interval.
fn sums_what_follows(rows: &[ListRow], shapes: &[RowShape], group: &[usize]) -> bool {
    let Some((&head, rest)) = group.split_first() else { return false };
    let members: Vec<&ListRow> = rest
        .iter()
        .take_while(|i| rows[**i].kind == RowKind::Project && !shapes[**i].names_group && shapes[**i].ordinal.is_none())
        .map(|i| &rows[*i])
        .collect();
    if members.is_empty() {
        return false;
    }
    let mut compared = 0;
    for amount in Amount::ALL {
        let Some(stated) = rows[head].amount(amount).figure() else { continue };
        let figures: Vec<Figure> = members.iter().filter_map(|r| r.amount(amount).figure().copied()).collect();
        if !Interval::sum_of(&figures).meets(Interval::of(stated)) {
            return false;
        }
        compared += usize::from(!stated.value.is_zero());
    }
    compared > 0
}

/// Depths and parents: a stack of the open level rows, outermost first.
fn link_tree(rows: &mut [ListRow], shapes: &[RowShape], breakdown_parents: &[Option<usize>], department_from_levels: bool) {
    let mut open: Vec<(u8, usize)> = Vec::new();
    for i in 0..rows.len() {
        let depth = open.len() as u32;
        let enclosing = open.last().map(|(_, at)| *at);
        match rows[i].kind {
            RowKind::Total => {
                open.clear();
                (rows[i].level, rows[i].parent_row) = (None, None);
            }
            RowKind::Level => {
                let rank = shapes[i].ordinal.map_or(NAMED_GROUP_RANK, |o| o as u8);
                while open.last().is_some_and(|(r, _)| *r >= rank) {
                    open.pop();
                }
                let parent = open.last().map(|(_, at)| rows[*at].row);
                open.push((rank, i));
                (rows[i].level, rows[i].parent_row) = (Some(open.len() as u32), parent);
                if rows[i].project.is_none() {
                    rows[i].project = rows[i].department.as_deref().map(CompactString::from);
                }
            }
            RowKind::Breakdown => {
                let parent = breakdown_parents[i];
                let parent_level = parent.and_then(|p| rows[p].level).unwrap_or(0);
                (rows[i].level, rows[i].parent_row) = (Some(parent_level + 1), parent.map(|p| rows[p].row));
            }
            RowKind::Project | RowKind::Subtotal => {
                (rows[i].level, rows[i].parent_row) = (Some(depth + 1), enclosing.map(|at| rows[at].row));
                if department_from_levels && rows[i].kind == RowKind::Project && rows[i].department.is_none() {
                    rows[i].department = enclosing.and_then(|at| rows[at].project.as_deref().map(|p| Arc::from(strip_ordinal(p))));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numberings_are_recognised_and_ranked() {
        let cases = [
            ("一、城市运行类", Some(Ordinal::ChineseComma), "城市运行类"),
            ("十二、其他", Some(Ordinal::ChineseComma), "其他"),
            ("（一）城市管理办公室", Some(Ordinal::ChineseParen), "城市管理办公室"),
            ("(二)平安建设办公室", Some(Ordinal::ChineseParen), "平安建设办公室"),
            ("1.社区建设", Some(Ordinal::ArabicDot), "社区建设"),
            ("（1）宣传", Some(Ordinal::ArabicParen), "宣传"),
            ("①保洁", Some(Ordinal::Circled), "保洁"),
            ("一", Some(Ordinal::ChineseComma), ""),
            ("一次性项目经费", None, "一次性项目经费"),
            ("12345工作经费", None, "12345工作经费"),
            ("（盖章）", None, "（盖章）"),
            ("", None, ""),
        ];
        for (text, ordinal, rest) in cases {
            assert_eq!(ordinal_of(text), ordinal, "{text}");
            assert_eq!(strip_ordinal(text), rest, "{text}");
        }
        assert!(Ordinal::ChineseComma < Ordinal::ChineseParen && Ordinal::ChineseParen < Ordinal::ArabicDot);
    }

    use crate::read::grid::{Grid, Value};

    fn read(rows: &[&[&str]]) -> crate::report::Checked {
        let cell = |t: &&str| if t.is_empty() { Value::Empty } else { Value::Text((*t).into()) };
        let rows = rows.iter().map(|r| r.iter().map(cell).collect()).collect();
        let grids = [Grid::from_values("附件1", rows)];
        crate::report::check_grids(std::path::Path::new("t.xlsx"), &grids, &crate::settings::Settings::default())
    }

    fn kinds(checked: &crate::report::Checked) -> Vec<RowKind> {
        checked.workbook.tables[0].rows.iter().map(|r| r.kind).collect()
    }

    fn errors(checked: &crate::report::Checked) -> Vec<(&str, String)> {
        let errors = checked.findings.iter().filter(|f| f.severity == crate::check::catalog::Severity::Error);
        errors.map(|f| (f.rule, f.cell.map(|c| c.to_string()).unwrap_or_default())).collect()
    }

    const HEADER: &[&str] = &["序号", "项目名称", "年初预算数", "调整后预算数", "实际支出数"];

    /// Numbering decides: 一、 over projects numbered 1, 2 is a level row even when its figures are wrong,
    /// and that is the unit's error (A003), not one more project (which would make 合计 wrong instead).
    #[test]
    fn a_numbered_level_row_that_does_not_add_up_is_still_a_level_row() {
        let checked = read(&[HEADER, &["一", "综合办公室", "110.00", "100.00", "90.00"], &["1", "甲", "60.00", "60.00", "50.00"], &["2", "乙", "40.00", "40.00", "40.00"], &["合计", "", "100.00", "100.00", "90.00"]]);
        assert_eq!(kinds(&checked), vec![RowKind::Level, RowKind::Project, RowKind::Project, RowKind::Total]);
        assert_eq!(errors(&checked), vec![("A003", "C2".to_string())]);
    }

    /// Arithmetic decides an unnumbered row: a department's name carrying the sum below it is a level
    /// row; the same row with figures that are no such sum is a project.
    #[test]
    fn an_unnumbered_department_row_is_a_level_row_only_when_it_adds_up() {
        let adds_up = read(&[HEADER, &["", "综合办公室", "100.00", "100.00", "90.00"], &["1", "甲", "60.00", "60.00", "50.00"], &["2", "乙", "40.00", "40.00", "40.00"], &["合计", "", "100.00", "100.00", "90.00"]]);
        assert_eq!(kinds(&adds_up), vec![RowKind::Level, RowKind::Project, RowKind::Project, RowKind::Total]);
        assert!(errors(&adds_up).is_empty(), "{:?}", errors(&adds_up));
        let does_not = read(&[HEADER, &["", "综合办公室", "10.00", "10.00", "9.00"], &["1", "甲", "60.00", "60.00", "50.00"], &["2", "乙", "40.00", "40.00", "40.00"], &["合计", "", "110.00", "110.00", "99.00"]]);
        assert_eq!(kinds(&does_not), vec![RowKind::Project, RowKind::Project, RowKind::Project, RowKind::Total]);
        assert!(errors(&does_not).is_empty(), "{:?}", errors(&does_not));
    }

    /// A column the header does not name but that holds amounts is summed like the others; a code column is not.
    #[test]
    fn unplaced_amount_columns_are_summed_and_code_columns_are_not() {
        let header: &[&str] = &["序号", "项目名称", "年初预算数", "调整后预算数", "实际支出数", "政府采购金额", "项目编码"];
        let checked = read(&[header, &["1", "甲", "60.00", "60.00", "50.00", "20.00", "110102001"], &["2", "乙", "40.00", "40.00", "40.00", "5.00", "110102002"], &["合计", "", "100.00", "100.00", "90.00", "35.00", ""]]);
        let table = &checked.workbook.tables[0];
        let names: Vec<&str> = table.columns.extra_amounts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["unplaced_政府采购金额"]);
        assert_eq!(table.extras.iter().map(|e| e.header.as_str()).collect::<Vec<_>>(), vec!["项目编码"]);
        assert_eq!(errors(&checked), vec![("A002", "F4".to_string())]);
    }

    #[test]
    fn shapes_tell_breakdowns_and_group_names() {
        let head = RowShape::of(None, Some("其中：市级资金"), false);
        assert!(head.breakdown_head);
        assert!(RowShape::of(None, Some("区级资金"), false).continues_breakdown);
        assert!(RowShape::of(None, Some("社区活动经费"), true).continues_breakdown);
        assert!(!RowShape::of(Some("3"), Some("区级资金"), false).continues_breakdown);
        assert!(!RowShape::of(None, Some("社区建设专项资金使用"), false).continues_breakdown);
        assert!(RowShape::of(None, Some("综合办公室"), false).names_group);
        assert!(!RowShape::of(Some("1"), Some("宣传经费"), false).names_group);
        assert_eq!(RowShape::of(Some("1"), Some("宣传经费"), false).ordinal, None);
        assert_eq!(RowShape::of(Some("一"), Some("综合办公室"), false).ordinal, Some(Ordinal::ChineseComma));
    }
}
