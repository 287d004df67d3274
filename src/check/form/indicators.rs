//! The indicator table: I001 no target, I002 no actual, I003 a target missed without a cause,
//! I004 a required kind of indicator missing, I005 a target that is not quantified.

use crate::check::Sink;
use crate::model::{Form, Indicator};
use crate::read::indicator_value::{compare, parse, Verdict};
use crate::read::text::squash;

pub fn check(form: &Form, sink: &mut Sink) {
    for indicator in &form.indicators {
        match indicator.target.as_deref() {
            None => no_target(form, indicator, sink),
            Some(target) => {
                unquantified(form, indicator, target, sink);
                missed(form, indicator, target, sink);
            }
        }
        no_actual(form, indicator, sink);
    }
    required_kinds(form, sink);
}

fn name(indicator: &Indicator) -> String {
    indicator.level3.clone().or_else(|| indicator.level2.clone()).unwrap_or_else(|| format!("第 {} 行指标", indicator.row + 1))
}

fn project(form: &Form) -> String {
    form.project_name().map_or_else(String::new, |p| format!("{p}·"))
}

/// I001.
fn no_target(form: &Form, indicator: &Indicator, sink: &mut Sink) {
    let (project, name) = (project(form), name(indicator));
    let message = sink.say(format!("{project}{name}：未填写年度指标值"), format!("{project}{name}: no target (年度指标值) is given"));
    sink.at_form("I001", form, Some(indicator.target_cell)).emit(message);
}

/// I002: a form that reports what was achieved, with that cell left empty.
fn no_actual(form: &Form, indicator: &Indicator, sink: &mut Sink) {
    let Some(cell) = indicator.actual_cell.filter(|_| form.kind.has_actuals() && indicator.actual.is_none()) else { return };
    let (project, name) = (project(form), name(indicator));
    let message = sink.say(format!("{project}{name}：未填写实际完成值"), format!("{project}{name}: no actual value is given"));
    sink.at_form("I002", form, Some(cell)).emit(message);
}

/// I005 (info): no number and no deadline — nothing to hold the unit to.
fn unquantified(form: &Form, indicator: &Indicator, target: &str, sink: &mut Sink) {
    if parse(target).is_quantified() {
        return;
    }
    let (project, name) = (project(form), name(indicator));
    let message = sink.say(
        format!("{project}{name}：指标值“{target}”未量化（无数值、无时限）"),
        format!("{project}{name}: the target '{target}' is not quantified (no number, no deadline)"),
    );
    sink.at_form("I005", form, Some(indicator.target_cell)).found(target.to_string()).emit(message);
}

/// I003: the actual (a monitoring form's projection) misses the target and no cause is given.
fn missed(form: &Form, indicator: &Indicator, target: &str, sink: &mut Sink) {
    let (Some(actual), Some(cell)) = indicator.compared_actual() else { return };
    if indicator.has_cause() || compare(&parse(target), &parse(actual)) != Verdict::NotMet {
        return;
    }
    let (project, name) = (project(form), name(indicator));
    let message = sink.say(
        format!("{project}{name}：指标值 {target}，完成 {actual}，未达到目标，但未说明偏差原因"),
        format!("{project}{name}: the target is {target} and {actual} was achieved, missing it, but no cause is given"),
    );
    sink.at_form("I003", form, Some(cell)).found(actual.to_string()).expected(target.to_string()).emit(message);
}

/// I004: the kinds every form must hold: 产出 数量 and 时效 indicators, and a 满意度 indicator. A form
/// without an indicator table is not judged (its table may stand elsewhere); one whose table is
/// empty lacks them all.
fn required_kinds(form: &Form, sink: &mut Sink) {
    if form.indicators.is_empty() && form.indicator_header_row.is_none() {
        return;
    }
    let levels: Vec<(String, String)> = form
        .indicators
        .iter()
        .map(|i| (squash(i.level1.as_deref().unwrap_or("")).into_owned(), squash(i.level2.as_deref().unwrap_or("")).into_owned()))
        .collect();
    let has = |level1: &str, level2: &str| levels.iter().any(|(l1, l2)| l1.contains(level1) && l2.contains(level2));
    let satisfaction = levels.iter().any(|(l1, l2)| l1.contains("满意度") || l2.contains("满意度"));
    let present = [has("产出", "数量"), has("产出", "时效"), satisfaction];
    let required = [("产出指标·数量指标", "output · quantity"), ("产出指标·时效指标", "output · timeliness"), ("满意度指标", "satisfaction")];
    for ((zh, en), _) in required.iter().zip(present).filter(|(_, present)| !present) {
        let (project, kind) = (project(form), form.kind.label(sink.lang));
        let message = sink.say(format!("{project}{kind}：缺少{zh}"), format!("{project}{kind}: no {en} indicator"));
        sink.at_form("I004", form, Some(form.title_cell)).expected(zh.to_string()).emit(message);
    }
}
