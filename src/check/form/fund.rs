//! A fund block: A001 on every stated ratio (1-N月执行率 included), A006 on its 其中 lines, E001 on
//! its 年度资金总额 spent above budget, E002 on an 附件2's, V002 on figures that are not numbers.

use crate::check::arithmetic::{judge_ratio, RatioNames};
use crate::check::hierarchy::{is_complete, judge_parts, Whole};
use crate::check::{shown, Place, Sink};
use crate::model::interval::round_shown;
use crate::model::{Field, Figure, Form, FormKind, FundLine, Half};

pub fn check(form: &Form, sink: &mut Sink) {
    for line in &form.fund {
        not_numbers(form, line, sink);
        ratio(form, line, sink);
    }
    for half in [Half::Annual, Half::MidTerm] {
        breakdown(form, half, sink);
    }
    above_budget(form, sink);
    if form.kind == FormKind::Tracking && form.fund_columns.reason {
        low_execution(form, sink);
    }
}

fn figures(line: &FundLine) -> [(&Field, &'static str); 7] {
    [
        (&line.initial, "年初预算数"),
        (&line.adjusted, "调整后预算数"),
        (&line.actual, "执行数"),
        (&line.ratio, "执行率"),
        (&line.projected, "全年预计执行数"),
        (&line.score_max, "分值"),
        (&line.score, "得分"),
    ]
}

/// V002: a figure of the block that is not a number.
fn not_numbers(form: &Form, line: &FundLine, sink: &mut Sink) {
    for (field, what) in figures(line) {
        let Field::Invalid { cell, text, .. } = field else { continue };
        let label = &line.label;
        let message = sink.say(format!("{label}：{what}“{text}”不是数字"), format!("{label}: {what} '{text}' is not a number"));
        sink.at_form("V002", form, Some(*cell)).found(text.clone()).emit(message);
    }
}

/// A001: the line's ratio against its execution ÷ its budget ([`Form::execution_budget`]).
fn ratio(form: &Form, line: &FundLine, sink: &mut Sink) {
    let (Some(ratio), Some(actual), Some(divisor)) = (line.ratio.figure(), line.actual.figure(), form.execution_budget(line).figure()) else { return };
    let lang = sink.lang;
    let label = || format!("{}{}", form_label(form), line_label(line));
    let divisor_name = if form.fund_columns.adjusted { lang.pick("调整后预算数", "the adjusted budget") } else { lang.pick("年初预算数", "the initial budget") };
    let names = RatioNames { ratio: lang.pick("执行率", "the execution ratio"), divisor: divisor_name };
    judge_ratio(sink, Place::Form(form), &label, names, ratio, actual, divisor);
}

fn form_label(form: &Form) -> String {
    form.project_name().map_or_else(String::new, |p| format!("{p}·"))
}

fn line_label(line: &FundLine) -> String {
    if line.label.is_empty() { "年度资金总额".into() } else { line.label.clone() }
}

/// A006: the 其中 lines of a half against its 年度资金总额 / 中期资金总额, amount by amount. The
/// national breakdown (财政拨款 / 上年结转 / 其他资金) is complete, so its parts must add up.
fn breakdown(form: &Form, half: Half, sink: &mut Sink) {
    let lines: Vec<&FundLine> = form.fund.iter().filter(|l| l.half == half).collect();
    let Some((total, parts)) = lines.split_first().filter(|(t, _)| t.is_total) else { return };
    if parts.is_empty() {
        return;
    }
    let complete = is_complete(parts.iter().map(|p| p.label.as_str()));
    let amount = |line: &FundLine, i: usize| [&line.initial, &line.adjusted, &line.actual, &line.projected][i].clone();
    let names = ["年初预算数", "调整后预算数", "执行数", "全年预计执行数"];
    for (i, name) in names.iter().enumerate() {
        let Field::Value(stated) = amount(total, i) else { continue };
        if parts.iter().any(|p| matches!(amount(p, i), Field::Invalid { .. } | Field::Uncomputed(_))) {
            continue;
        }
        let figures: Vec<Figure> = parts.iter().filter_map(|p| amount(p, i).figure().copied()).collect();
        let whole = Whole { label: format!("{}{}", form_label(form), line_label(total)), what: name.to_string(), stated: &stated };
        judge_parts(sink, Place::Form(form), &whole, &figures, complete);
    }
}

/// E001: the project's execution above its budget ([`Form::execution_budget`]), on its 年度资金总额;
/// its 其中 lines would repeat the same finding.
fn above_budget(form: &Form, sink: &mut Sink) {
    let Some(line) = form.fund_total() else { return };
    let (Some(budget), Some(actual)) = (form.execution_budget(line).figure(), line.actual.figure()) else { return };
    if actual.value <= budget.value {
        return;
    }
    let label = format!("{}{}", form_label(form), line_label(line));
    // Worded as a list's E001 is.
    let (zh, en) = if form.fund_columns.adjusted { ("调整后预算", "the adjusted budget") } else { ("年初预算", "the initial budget") };
    let message = sink.say(
        format!("{label}：执行数 {} 超过{zh} {}", shown(actual), shown(budget)),
        format!("{label}: spending {} exceeds {en} {}", shown(actual), shown(budget)),
    );
    sink.at_form("E001", form, Some(actual.cell)).found(shown(actual)).expected(format!("≤ {}", shown(budget))).emit(message);
}

/// E002: an 附件2 whose execution is below the threshold with its 偏差原因 left empty.
fn low_execution(form: &Form, sink: &mut Sink) {
    let Some(line) = form.fund_total() else { return };
    let Some(ratio) = line.ratio.figure() else { return };
    let threshold = sink.settings.thresholds.low_execution_percent;
    if ratio.value >= threshold || line.reason.as_deref().is_some_and(|r| !r.trim().is_empty()) {
        return;
    }
    let shown = round_shown(ratio.value, ratio.decimals());
    let label = form.project_name().unwrap_or_default().to_string();
    let message = sink.say(
        format!("{label}：预算执行率 {shown}% 低于 {threshold}%，但未填写偏差原因"),
        format!("{label}: execution {shown} % is below {threshold} % and no 偏差原因 is given"),
    );
    sink.at_form("E002", form, Some(ratio.cell)).found(format!("{shown}%")).expected(format!("≥ {threshold}%")).emit(message);
}
