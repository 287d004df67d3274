//! Which budget unit (预算单位) a table belongs to: its 单位名称 line, a sheet named after a unit, or
//! the file (FORMATS.md §1.1). Rows of a consolidated list carry their own in a column.

use std::borrow::Cow;
use std::ops::Range;

use crate::read::grid::Grid;
use crate::read::text::{squash, to_half_width};

/// Labels that introduce a unit's name on a line above a table.
const NAME_MARKERS: &[&str] = &["单位名称", "预算单位名称", "预算单位", "填报单位", "编报单位", "报送单位", "编制单位", "申报单位"];

/// Words that end a name written on the same line (`单位名称：某街道    单位：万元`).
const NAME_ENDS: &[&str] = &["金额单位", "单位:", "填报日期", "日期:", "年度:"];

/// The unit named on the lines `rows` above a header, in columns `cols`, if any.
pub fn stated_unit_name(grid: &Grid, rows: Range<u32>, cols: Range<u32>) -> Option<String> {
    rows.rev().find_map(|row| {
        let width = grid.width(row).min(cols.end);
        (cols.start..width).find_map(|col| {
            let text = grid.cell(row, col).value.display()?;
            let (marker_end, half) = marker_in(&text)?;
            let written = name_after(&half[marker_end..]);
            // `单位名称：` alone in its cell: the name is in the next filled cell of the row.
            let name = written.or_else(|| (col + 1..width).find_map(|next| name_after(&grid.cell(row, next).value.display()?)));
            name.filter(|n| !is_money_unit(n))
        })
    })
}

/// The byte offset just past a name marker and its colon, in the half-width text.
fn marker_in(text: &str) -> Option<(usize, String)> {
    let half: String = text.chars().map(to_half_width).collect();
    let (at, marker) = NAME_MARKERS.iter().filter_map(|m| half.find(m).map(|at| (at, *m))).min_by_key(|(at, _)| *at)?;
    let rest = &half[at + marker.len()..];
    let colon = rest.trim_start().strip_prefix(':')?;
    let end = half.len() - colon.len();
    Some((end, half))
}

/// The name at the start of `text`: up to a wide gap or the next label, without 盖章 notes.
fn name_after(text: &str) -> Option<String> {
    let text = text.trim_start();
    let gap = text.find("  ").or_else(|| text.find('\t')).unwrap_or(text.len());
    let mut name = squash(&text[..gap]).into_owned();
    if let Some(end) = NAME_ENDS.iter().filter_map(|e| name.find(e)).min() {
        name.truncate(end);
    }
    for note in ["(盖章)", "(公章)", "(章)", "盖章"] {
        name = name.replace(note, "");
    }
    let name = name.trim_end_matches([':', ',', ';', '。']).to_string();
    (name.chars().count() >= 2).then_some(name)
}

fn is_money_unit(name: &str) -> bool {
    matches!(name, "万元" | "元" | "亿元" | "千元")
}

/// Words that mark a sheet name as a budget unit's. Department words (办公室, 中心, 科) are left
/// out on purpose: a sheet per department is a part of its unit, never a unit of its own.
const UNIT_WORDS: &[&str] =
    &["街道", "办事处", "局", "委员会", "医院", "学校", "中学", "小学", "幼儿园", "公司", "乡", "镇", "大学", "学院", "法院", "检察院"];

/// The sheet name, when it names a unit (`月坛街道`, `区教委`), not a table (`表1`, `汇总`, `Sheet1`).
pub fn sheet_names_unit(sheet: &str) -> Option<String> {
    let name = squash(sheet);
    UNIT_WORDS.iter().any(|w| name.contains(w)).then(|| name.into_owned())
}

/// The text a unit name is compared by: squashed, without the 盖章 note.
pub fn unit_key(name: &str) -> Cow<'_, str> {
    squash(name)
}

/// Two spellings of one unit: equal, or one inside the other (`月坛街道` in
/// `北京市西城区人民政府月坛街道办事处`), as summaries shorten the names their parts spell out.
pub fn same_unit(a: &str, b: &str) -> bool {
    a == b || (a.chars().count() >= 2 && b.chars().count() >= 2 && (a.contains(b) || b.contains(a)))
}

/// Words of document titles, versions and stamps that file and folder names carry beside a unit's name.
const NOISE: &[&str] = &[
    "项目支出绩效跟踪清单", "项目支出绩效跟踪分析表", "绩效目标执行监控表", "绩效跟踪分析表", "绩效跟踪清单", "绩效目标申报表",
    "绩效跟踪报告", "执行监控表", "跟踪分析表", "绩效自评表", "项目支出", "跟踪清单", "跟踪报告", "监控表", "自评表", "申报表",
    "分析表", "汇总表", "绩效跟踪", "提交材料", "报送材料", "附件", "清单", "汇总", "报表", "跟踪", "绩效", "报告", "材料",
    "修改稿", "修改版", "修订版", "修订", "最终版", "最终", "终稿", "定稿", "正式版", "副本", "新版", "备份", "盖章", "公章",
    "年度", "上半年", "下半年", "全年", "季度",
];

/// The unit a file or folder name names, if anything of it is left once document words, dates, digits
/// and punctuation are taken out (at least two CJK characters): `附件1-月坛街道（盖章）` → 月坛街道.
pub fn name_hint(name: &str) -> Option<String> {
    let mut text: String = name.chars().map(to_half_width).filter(|c| !c.is_whitespace()).collect();
    for word in NOISE {
        text = text.replace(word, "");
    }
    // Table numbers (表1-表8): the 表 goes with the number after it.
    let chars: Vec<char> = text.chars().collect();
    text = chars.iter().enumerate().filter(|(i, c)| !(**c == '表' && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit()))).map(|(_, c)| *c).collect();
    // Dates: the 年 / 月 / 日 / 季 after a number go with it (2020年, 1-6月).
    let mut kept = String::with_capacity(text.len());
    // A date word goes with the number before it (2020年, 2020年度, 6月).
    let (mut after_digit, mut after_year) = (false, false);
    for c in text.chars() {
        let date_word = (after_digit && matches!(c, '年' | '月' | '日' | '季')) || (after_year && c == '度');
        after_year = date_word && c == '年';
        after_digit = c.is_ascii_digit();
        if !date_word && !after_digit && is_cjk(c) {
            kept.push(c);
        }
    }
    (kept.chars().count() >= 2).then_some(kept)
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::grid::Value;

    fn grid(rows: Vec<Vec<&str>>) -> Grid {
        let cells = rows.into_iter().map(|r| r.into_iter().map(|t| if t.is_empty() { Value::Empty } else { Value::Text(t.into()) }).collect()).collect();
        Grid::from_values("s", cells)
    }

    #[test]
    fn names_are_read_from_unit_lines_in_their_usual_spellings() {
        let cases = [
            (vec!["单位名称：北京市西城区人民政府月坛街道办事处    单位：万元"], Some("北京市西城区人民政府月坛街道办事处")),
            (vec!["预算单位:展览路街道（盖章）", "", "金额单位：元"], Some("展览路街道")),
            (vec!["单位名称：", "德胜街道办事处"], Some("德胜街道办事处")),
            (vec!["填报单位：新街口街道 填报日期：2021年1月"], Some("新街口街道")),
            (vec!["编制单位：北京市西城区人民政府德胜街道办事处", "", "单位：万元"], Some("北京市西城区人民政府德胜街道办事处")),
            (vec!["单位：万元"], None),
            (vec!["西城区区级项目支出绩效跟踪清单"], None),
        ];
        for (row, expected) in cases {
            let g = grid(vec![row.clone()]);
            assert_eq!(stated_unit_name(&g, 0..1, 0..9).as_deref(), expected, "{row:?}");
        }
    }

    #[test]
    fn sheet_names_name_units_but_not_tables_or_departments() {
        assert_eq!(sheet_names_unit("月坛街道").as_deref(), Some("月坛街道"));
        assert_eq!(sheet_names_unit("区教委 ").as_deref(), None);
        assert_eq!(sheet_names_unit("区财政局").as_deref(), Some("区财政局"));
        for sheet in ["表1", "汇总", "Sheet1", "附件1", "综合办公室", "市民服务中心"] {
            assert_eq!(sheet_names_unit(sheet), None, "{sheet}");
        }
    }

    #[test]
    fn file_names_name_their_unit_without_table_numbers_and_dates() {
        assert_eq!(name_hint("表1-表8-月坛街道-2020").as_deref(), Some("月坛街道"));
        assert_eq!(name_hint("月坛街道-表1").as_deref(), Some("月坛街道"));
        assert_eq!(name_hint("附件1"), None);
    }

    #[test]
    fn short_and_full_names_of_one_unit_match() {
        assert!(same_unit("月坛街道", "北京市西城区人民政府月坛街道办事处"));
        assert!(same_unit("北京市西城区人民政府月坛街道办事处", "月坛街道"));
        assert!(!same_unit("月坛街道", "展览路街道"));
        assert!(!same_unit("街", "月坛街道"));
    }
}
