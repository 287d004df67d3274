//! I006: the scores of a self-evaluation form (FORMATS.md §2.2): no 得分 above its 分值, the fund
//! line's 得分 = 分值 × 执行率 (capped at its 分值), 分值 summing to 100 and 总分 = Σ 得分.
//!
//! A 分值 is set by the rules, not measured: it is exact, whatever decimals it is shown with. A 得分
//! is computed and shown rounded, so it stands for its rounding interval like any figure.

use rust_decimal::Decimal;

use crate::check::arithmetic::SumOf;
use crate::check::{shown, shown_like, Sink};
use crate::model::interval::Interval;
use crate::model::{Field, Figure, Form};

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
    if Interval::of(score).lo <= max.value {
        return;
    }
    let message = sink.say(
        format!("{label}：得分 {} 超过分值 {}", shown(score), shown(max)),
        format!("{label}: the score {} exceeds its maximum {}", shown(score), shown(max)),
    );
    sink.at_form("I006", form, Some(score.cell)).found(shown(score)).expected(format!("≤ {}", shown(max))).emit(message);
}

/// The fund line's 得分 = 分值 × 执行率, capped at its 分值.
fn execution_score(form: &Form, sink: &mut Sink) {
    let Some(line) = form.fund_total() else { return };
    let (Some(max), Some(score), Some(ratio)) = (line.score_max.figure(), line.score.figure(), line.ratio.figure()) else { return };
    let (m, r) = (Interval::point(max.value), Interval::of(ratio));
    let hundred = Decimal::ONE_HUNDRED;
    let product = |a: Decimal, b: Decimal| a.checked_mul(b).map(|p| p / hundred);
    let (Some(lo), Some(hi)) = (product(m.lo, r.lo.max(Decimal::ZERO)), product(m.hi, r.hi.max(Decimal::ZERO))) else { return };
    let expected = Interval { lo: lo.min(m.lo), hi: hi.min(m.hi) };
    if expected.meets(Interval::of(score)) {
        return;
    }
    let point = (max.value * ratio.value / hundred).min(max.value);
    let shown_expected = shown_like(point, score);
    let message = sink.say(
        format!("执行率得分填 {}，按 分值 {} × 执行率 {}% 应为 {shown_expected}", shown(score), shown(max), shown(ratio)),
        format!("the execution score reads {}, but {} × {} % gives {shown_expected}", shown(score), shown(max), shown(ratio)),
    );
    sink.at_form("I006", form, Some(score.cell))
        .found(shown(score))
        .expected(shown_expected)
        .inputs(format!("{} × {}%", shown(max), shown(ratio)))
        .emit(message);
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
    let message = sink.say(
        format!("分值合计应为 100，填 {}，各项分值之和为 {}", shown(stated), shown_like(sum.point, stated)),
        format!("the maximum scores must total 100; {} is stated and they add up to {}", shown(stated), shown_like(sum.point, stated)),
    );
    sink.at_form("I006", form, Some(stated.cell)).found(shown(stated)).expected("100".to_string()).inputs(sum.inputs).emit(message);
}
