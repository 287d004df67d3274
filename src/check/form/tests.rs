//! Each form rule on forms written as text grids: where it fires, and where it must stay silent.

use crate::check::check_workbook;
use crate::read::grid::{Grid, Value};
use crate::read::workbook_from_grids;
use crate::report::finding::Finding;
use crate::settings::Settings;

fn cell(text: &str) -> Value {
    if text.is_empty() { Value::Empty } else { Value::Text(text.into()) }
}

/// A 自评表 with text figures, its fund line and indicators given as rows of cells from column B.
fn self_evaluation(fund: [&str; 6], indicators: &[[&str; 8]], total: [&str; 2]) -> Vec<Vec<Value>> {
    let mut rows = vec![
        vec![cell("项目支出绩效自评表")],
        vec![cell("(2019年度)")],
        vec![cell("项目名称"), cell("动画短剧制作项目")],
        vec![cell("主管部门"), cell("[105]教育部"), cell(""), cell("实施单位"), cell("北京大学")],
        ["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"].map(cell).to_vec(),
    ];
    rows.push([""].iter().chain(&["年度资金总额"]).chain(fund.iter()).map(|t| cell(t)).collect());
    rows.push(["年度总体目标", "完成制作"].map(cell).to_vec());
    rows.push(["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"].map(cell).to_vec());
    for indicator in indicators {
        rows.push(std::iter::once(&"").chain(indicator.iter()).map(|t| cell(t)).collect());
    }
    rows.push(["总分", "", "", "", "", "", total[0], total[1]].map(cell).to_vec());
    rows
}

const GOOD: [[&str; 8]; 4] = [
    ["产出指标", "数量指标", "完成动画短剧的制作", "≥20集", "20集", "30", "30", ""],
    ["产出指标", "时效指标", "完成时间", "2019年12月31日前", "按时完成", "30", "30", ""],
    ["满意度指标", "服务对象满意度指标", "观众满意度", "≥90%", "92%", "30", "30", ""],
    ["效益指标", "社会效益指标", "社会影响", "有效扩大", "已扩大", "0", "0", ""],
];

fn findings(rows: Vec<Vec<Value>>) -> Vec<Finding> {
    let grids = [Grid::from_values("自评表", rows)];
    let workbook = workbook_from_grids(std::path::Path::new("forms.xlsx"), &grids);
    assert_eq!(workbook.forms.len(), 1, "the form is read");
    check_workbook(&workbook, &Settings { show_info: true, ..Settings::default() }).findings
}

fn above_info(findings: &[Finding]) -> Vec<(String, String)> {
    findings
        .iter()
        .filter(|f| f.severity != crate::check::catalog::Severity::Info)
        .map(|f| (f.rule.to_string(), f.cell.map(|c| c.to_string()).unwrap_or_default()))
        .collect()
}

#[test]
fn a_clean_self_evaluation_has_nothing_above_info() {
    let found = findings(self_evaluation(["180.00", "190.00", "171.00", "10", "90.00%", "9.00"], &GOOD, ["100", "99.00"]));
    assert_eq!(above_info(&found), vec![]);
    assert!(found.iter().any(|f| f.rule == "I005"), "有效扩大 is no quantity: info only");
}

#[test]
fn a001_fires_on_a_fund_ratio_and_i006_on_each_score_rule() {
    let mut bad = GOOD;
    bad[2][6] = "31";
    let found = findings(self_evaluation(["180.00", "190.00", "171.00", "10", "95.00%", "10.00"], &bad, ["100", "98.00"]));
    let mut got = above_info(&found);
    got.sort();
    let want = [("A001", "G6"), ("I006", "H6"), ("I006", "H11"), ("I006", "H13")];
    let mut want: Vec<(String, String)> = want.iter().map(|(r, c)| (r.to_string(), c.to_string())).collect();
    want.sort();
    assert_eq!(got, want, "{found:#?}");
}

#[test]
fn i001_to_i004_fire_on_their_indicators() {
    let rows = [
        ["产出指标", "数量指标", "完成动画短剧的制作", "≥20集", "15集", "30", "30", ""],
        ["产出指标", "质量指标", "播出合格率", "", "98%", "30", "30", ""],
        ["效益指标", "社会效益指标", "社会影响", "≥3次", "", "30", "30", ""],
    ];
    let found = findings(self_evaluation(["180.00", "190.00", "171.00", "10", "90.00%", "9.00"], &rows, ["100", "99.00"]));
    let got = above_info(&found);
    for want in [("I003", "F9"), ("I001", "E10"), ("I002", "F11"), ("I004", "A1")] {
        assert!(got.contains(&(want.0.to_string(), want.1.to_string())), "{want:?} in {got:?}");
    }
    assert_eq!(got.iter().filter(|(r, _)| r == "I004").count(), 2, "时效 and 满意度 are missing");
}

#[test]
fn i003_is_silent_when_a_cause_is_given() {
    let mut rows = GOOD;
    rows[0][4] = "15集";
    rows[0][7] = "受疫情影响，部分制作推迟到次年";
    let found = findings(self_evaluation(["180.00", "190.00", "171.00", "10", "90.00%", "9.00"], &rows, ["100", "99.00"]));
    assert!(!found.iter().any(|f| f.rule == "I003"), "{found:#?}");
}

fn i006_at(found: &[Finding], cell: &str) -> Vec<String> {
    found.iter().filter(|f| f.rule == "I006" && f.cell.map(|c| c.to_string()).as_deref() == Some(cell)).map(|f| f.message.clone()).collect()
}

#[test]
fn the_execution_score_follows_the_recomputed_rate_not_a_wrong_stated_one() {
    // 171.00 ÷ 190.00 = 90.00 %: the stated 95.00 % is A001's, and 10 × 90 % = 9.00 is right.
    let found = findings(self_evaluation(["180.00", "190.00", "171.00", "10", "95.00%", "9.00"], &GOOD, ["100", "99.00"]));
    assert_eq!(above_info(&found), vec![("A001".to_string(), "G6".to_string())]);
    let wrong = findings(self_evaluation(["180.00", "190.00", "171.00", "10", "90.00%", "9.50"], &GOOD, ["100", "99.50"]));
    let messages = i006_at(&wrong, "H6");
    assert_eq!(messages.len(), 1, "{wrong:#?}");
    assert!(messages[0].contains("171.00 ÷ 190.00") && messages[0].contains("应为 9.00"), "{}", messages[0]);
}

#[test]
fn a_score_above_its_maximum_is_named_once() {
    let found = findings(self_evaluation(["180.00", "190.00", "190.00", "10", "100.00%", "10.50"], &GOOD, ["100", "100.50"]));
    let messages = i006_at(&found, "H6");
    assert_eq!(messages.len(), 1, "{found:#?}");
    assert!(messages[0].contains("超过分值"), "{}", messages[0]);
}

#[test]
fn the_maximum_total_message_names_what_is_wrong() {
    let mut short = GOOD;
    short[2][5] = "20";
    short[2][6] = "20";
    let found = findings(self_evaluation(["180.00", "190.00", "171.00", "10", "90.00%", "9.00"], &short, ["100", "89.00"]));
    let messages = i006_at(&found, "G13");
    assert_eq!(messages, vec!["各项分值之和为 90，与总分行的分值 100 不符".to_string()], "{found:#?}");
    let found = findings(self_evaluation(["180.00", "190.00", "171.00", "10", "90.00%", "9.00"], &short, ["90", "89.00"]));
    assert_eq!(i006_at(&found, "G13"), vec!["分值合计应为 100，填 90".to_string()]);
}

#[test]
fn i004_fires_on_an_empty_indicator_table_but_not_on_a_form_without_one() {
    let empty = findings(self_evaluation(["180.00", "190.00", "171.00", "10", "90.00%", "9.00"], &[], ["10", "9.00"]));
    assert_eq!(empty.iter().filter(|f| f.rule == "I004").count(), 3, "{empty:#?}");
    let mut fund_only = self_evaluation(["180.00", "190.00", "171.00", "10", "90.00%", "9.00"], &[], ["10", "9.00"]);
    fund_only.truncate(7);
    assert!(!findings(fund_only).iter().any(|f| f.rule == "I004"));
}

#[test]
fn e001_fires_on_a_form_spent_above_its_budget_and_only_then() {
    let over = findings(self_evaluation(["180.00", "190.00", "199.50", "10", "105.00%", "10.00"], &GOOD, ["100", "100.00"]));
    let e001: Vec<String> = over.iter().filter(|f| f.rule == "E001").map(|f| f.cell.map(|c| c.to_string()).unwrap_or_default()).collect();
    assert_eq!(e001, vec!["E6".to_string()], "{over:#?}");
    let within = findings(self_evaluation(["180.00", "190.00", "190.00", "10", "100.00%", "10.00"], &GOOD, ["100", "100.00"]));
    assert!(!within.iter().any(|f| f.rule == "E001"), "{within:#?}");
}
