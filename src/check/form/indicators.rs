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

/// I004: the kinds every form must hold: 产出 数量 and 时效 indicators, and a 满意度 indicator.
fn required_kinds(form: &Form, sink: &mut Sink) {
    if form.indicators.is_empty() {
        return;
    }
    let has = |test: &dyn Fn(&str, &str) -> bool| {
        form.indicators.iter().any(|i| test(&squash(i.level1.as_deref().unwrap_or("")), &squash(i.level2.as_deref().unwrap_or(""))))
    };
    let required: [(&str, &str, &dyn Fn(&str, &str) -> bool); 3] = [
        ("产出指标·数量指标", "output · quantity", &|l1: &str, l2: &str| l1.contains("产出") && l2.contains("数量")),
        ("产出指标·时效指标", "output · timeliness", &|l1: &str, l2: &str| l1.contains("产出") && l2.contains("时效")),
        ("满意度指标", "satisfaction", &|l1: &str, l2: &str| l1.contains("满意度") || l2.contains("满意度")),
    ];
    for (zh, en, test) in required {
        if has(test) {
            continue;
        }
        let project = project(form);
        let message = sink.say(format!("{project}{}：缺少{zh}", form.kind.label(sink.lang)), format!("{project}{}: no {en} indicator", form.kind.label(sink.lang)));
        sink.at_form("I004", form, Some(form.title_cell)).expected(zh.to_string()).emit(message);
    }
}
