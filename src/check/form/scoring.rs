//! I006: the scores of a self-evaluation form (FORMATS.md §2.2): no 得分 above its 分值, the fund
//! line's 得分 = 分值 × 执行率 (capped at its 分值), 分值 summing to 100 and 总分 = Σ 得分.
//!
//! A 分值 is set by the rules, not measured: it is exact, whatever decimals it is shown with. A 得分
//! is computed and shown rounded, so it stands for its rounding interval like any figure.

use rust_decimal::Decimal;

use crate::check::arithmetic::SumOf;
use crate::check::{shown, shown_like, Sink};
use crate::model::interval::{percent, Interval};
use crate::model::{Field, Figure, Form, FundLine};

pub fn check(form: &Form, sink: &mut Sink) {
    let lines = form.fund.iter().filter(|l| l.is_total).map(|l| (&l.score_max, &l.score, l.label.as_str()));
    let indicators = form.indicators.iter().map(|i| (&i.score_max, &i.score, i.level3.as_deref().unwrap_or("")));
    for (max, score, label) in lines.chain(indicators) {
        above_max(form, max, score, label, sink);
    }
    execution_score(form, sink);
    totals(form, sink);
}

/// A 得分 that exceeds its 分值.
fn above_max(form: &Form, max: &Field, score: &Field, label: &str, sink: &mut Sink) {
    let (Some(max), Some(score)) = (max.figure(), score.figure()) else { return };
    if !exceeds(score, max) {
        return;
    }
    let message = sink.say(
        format!("{label}：得分 {} 超过分值 {}", shown(score), shown(max)),
        format!("{label}: the score {} exceeds its maximum {}", shown(score), shown(max)),
    );
    sink.at_form("I006", form, Some(score.cell)).found(shown(score)).expected(format!("≤ {}", shown(max))).emit(message);
}

/// Whether a 得分 is above its 分值 whatever its rounding hides.
fn exceeds(score: &Figure, max: &Figure) -> bool {
    Interval::of(score).lo > max.value
}

/// The fund line's 得分 = 分值 × 执行率, capped at its 分值. The rate is 执行数 ÷ 预算数 where both are
/// given (a stated 执行率 that contradicts them is A001's, and must not move the score's check), else
/// the stated one.
fn execution_score(form: &Form, sink: &mut Sink) {
    let Some(line) = form.fund_total() else { return };
    let (Some(max), Some(score)) = (line.score_max.figure(), line.score.figure()) else { return };
    // A score above its 分值 is already named by `above_max`.
    if exceeds(score, max) {
        return;
    }
    let Some(rate) = execution_rate(form, line) else { return };
    let m = Interval::point(max.value);
    let hundred = Decimal::ONE_HUNDRED;
    let product = |a: Decimal, b: Decimal| a.checked_mul(b).map(|p| p / hundred);
    let (Some(lo), Some(hi)) = (product(m.lo, rate.interval.lo.max(Decimal::ZERO)), product(m.hi, rate.interval.hi.max(Decimal::ZERO))) else { return };
    let expected = Interval { lo: lo.min(m.lo), hi: hi.min(m.hi) };
    if expected.meets(Interval::of(score)) {
        return;
    }
    let point = (max.value * rate.point.max(Decimal::ZERO) / hundred).min(max.value);
    let shown_expected = shown_like(point, score);
    let rate_text = &rate.shown;
    let message = sink.say(
        format!("执行率得分填 {}，按 分值 {} × 执行率 {rate_text} 应为 {shown_expected}", shown(score), shown(max)),
        format!("the execution score reads {}, but {} × {rate_text} gives {shown_expected}", shown(score), shown(max)),
    );
    sink.at_form("I006", form, Some(score.cell))
        .found(shown(score))
        .expected(shown_expected)
        .inputs(format!("{} × {rate_text}", shown(max)))
        .emit(message);
}

/// An execution rate in percent: what it may be, its value, and how a message shows it.
struct Rate {
    interval: Interval,
    point: Decimal,
    shown: String,
}

/// The fund line's rate: its 执行数 ÷ its [`Form::execution_budget`]; the stated 执行率 where either is
/// missing.
fn execution_rate(form: &Form, line: &FundLine) -> Option<Rate> {
    if let (Some(actual), Some(divisor)) = (line.actual.figure(), form.execution_budget(line).figure()) {
        let interval = Interval::of(actual).percent_of(Interval::of(divisor))?;
        let point = percent(actual.value, divisor.value)?;
        return Some(Rate { interval, point, shown: format!("({} ÷ {})", shown(actual), shown(divisor)) });
    }
    let ratio = line.ratio.figure()?;
    Some(Rate { interval: Interval::of(ratio), point: ratio.value, shown: format!("{}%", shown(ratio)) })
}

/// 总分 = Σ 得分, and the 分值 column sums to 100.
fn totals(form: &Form, sink: &mut Sink) {
    let Some(total) = &form.total else { return };
    let fund = form.fund.iter().filter(|l| l.is_total);
    let maxes: Vec<Figure> = fund.clone().filter_map(|l| l.score_max.figure().copied()).chain(form.indicators.iter().filter_map(|i| i.score_max.figure().copied())).collect();
    let scores: Vec<Figure> = fund.filter_map(|l| l.score.figure().copied()).chain(form.indicators.iter().filter_map(|i| i.score.figure().copied())).collect();
    if let Some(stated) = total.score.figure().filter(|_| !scores.is_empty()) {
        let sum = SumOf::figures(&scores);
        if !sum.interval.meets(Interval::of(stated)) {
            let expected = shown_like(sum.point, stated);
            let message = sink.say(
                format!("总分填 {}，各项得分之和为 {expected}", shown(stated)),
                format!("the total score reads {}, the scores add up to {expected}", shown(stated)),
            );
            sink.at_form("I006", form, Some(stated.cell)).found(shown(stated)).expected(expected).inputs(sum.inputs).emit(message);
        }
    }
    let Some(stated) = total.score_max.figure().filter(|_| !maxes.is_empty()) else { return };
    let sum = SumOf::figures(&maxes);
    if sum.point == Decimal::ONE_HUNDRED && stated.value == Decimal::ONE_HUNDRED {
        return;
    }
    let (found, added) = (shown(stated), shown_like(sum.point, stated));
    // Say what is wrong: the items' sum, the stated total, or both.
    let (message, expected) = if stated.value == Decimal::ONE_HUNDRED {
        (sink.say(format!("各项分值之和为 {added}，与总分行的分值 {found} 不符"), format!("the maximum scores add up to {added}, not the {found} of the total row")), added.clone())
    } else if stated.value == sum.point {
        (sink.say(format!("分值合计应为 100，填 {found}"), format!("the maximum scores must total 100; they total {found}")), "100".to_string())
    } else {
        (
            sink.say(format!("分值合计应为 100，填 {found}，各项分值之和为 {added}"), format!("the maximum scores must total 100; {found} is stated and they add up to {added}")),
            "100".to_string(),
        )
    };
    sink.at_form("I006", form, Some(stated.cell)).found(found).expected(expected).inputs(sum.inputs).emit(message);
}
