//! Checks across documents, and across the files given together (FORMATS.md §2, §5): an 附件1 list
//! with its 附件2 forms (X001, X002), and one project's forms of one year with each other (X005,
//! I007). Documents are matched within a unit, by normalised project name; everything is indexed
//! once, so the work grows with the documents, not with their pairs.

use std::collections::{HashMap, HashSet};

use crate::check::{shown_pair, Place, Sink};
use crate::model::interval::Interval;
use crate::model::{Field, Form, FormKind, Half, Indicator, ListRow, ListTable, Workbook};
use crate::read::indicator_value::{parse, IndicatorValue};
use crate::read::text::squash;
use crate::read::unit::{same_unit, unit_key};
use crate::report::finding::Finding;
use crate::settings::Settings;

/// The findings across `workbooks` (one file's, or all files of a report), each filed under the
/// file of the document it is reported on.
pub fn reconcile(workbooks: &[&Workbook], settings: &Settings) -> Vec<Finding> {
    let forms: Vec<(&Workbook, &Form)> = workbooks.iter().flat_map(|wb| wb.forms.iter().map(move |f| (*wb, f))).collect();
    if forms.is_empty() {
        return Vec::new();
    }
    let lists: Vec<(&Workbook, &ListTable)> = workbooks.iter().flat_map(|wb| wb.tables.iter().map(move |t| (*wb, t))).collect();
    let mut findings = Vec::new();
    lists_with_forms(&lists, &forms, settings, &mut findings);
    forms_of_one_year(&forms, settings, &mut findings);
    findings
}

fn name_key(name: &str) -> String {
    squash(name).into_owned()
}

/// A sink filing findings under `workbook`'s file.
fn sink_for<'a>(workbook: &Workbook, settings: &'a Settings) -> Sink<'a> {
    Sink::for_file(workbook.path.display().to_string(), settings)
}

/// The projects of the lists, by unit and name; the first listing of each.
struct ListIndex<'a> {
    units: Vec<String>,
    rows: HashMap<(String, String), (&'a Workbook, &'a ListTable, &'a ListRow)>,
}

impl<'a> ListIndex<'a> {
    fn new(lists: &[(&'a Workbook, &'a ListTable)]) -> ListIndex<'a> {
        let mut index = ListIndex { units: Vec::new(), rows: HashMap::new() };
        for (workbook, table) in lists {
            for row in table.projects() {
                let Some(name) = row.project.as_deref() else { continue };
                let unit = unit_key(table.unit_of(row)).into_owned();
                if !index.units.contains(&unit) {
                    index.units.push(unit.clone());
                }
                index.rows.entry((unit, name_key(name))).or_insert((*workbook, *table, row));
            }
        }
        index
    }

    /// The list unit a form belongs to: its 主管部门 or 实施单位, under any spelling of it.
    fn unit_of(&self, form: &Form) -> Option<&str> {
        self.units.iter().find(|u| form.names_unit(u, |a, b| same_unit(&unit_key(a), &unit_key(b)))).map(String::as_str)
    }
}

/// X001 / X002: an 附件1 list and the 附件2 forms of its unit.
fn lists_with_forms(lists: &[(&Workbook, &ListTable)], forms: &[(&Workbook, &Form)], settings: &Settings, out: &mut Vec<Finding>) {
    let index = ListIndex::new(lists);
    let mut covered: HashSet<(String, String)> = HashSet::new();
    for (workbook, form) in forms.iter().filter(|(_, f)| f.kind == FormKind::Tracking) {
        let Some(unit) = index.unit_of(form) else { continue };
        let Some(name) = form.project_name() else { continue };
        let key = (unit.to_string(), name_key(name));
        covered.insert(key.clone());
        let mut sink = sink_for(workbook, settings);
        match index.rows.get(&key) {
            Some((_, table, row)) => amounts_agree(form, table, row, &mut sink),
            None => form_without_row(form, unit, &mut sink),
        }
        out.extend(sink.into_findings());
    }
    let units_with_forms: HashSet<&String> = covered.iter().map(|(unit, _)| unit).collect();
    let mut missing: Vec<&(&Workbook, &ListTable, &ListRow)> =
        index.rows.iter().filter(|(key, _)| units_with_forms.contains(&key.0) && !covered.contains(*key)).map(|(_, v)| v).collect();
    missing.sort_by_key(|(wb, table, row)| (wb.path.clone(), table.index, row.row));
    for (workbook, table, row) in missing {
        let mut sink = sink_for(workbook, settings);
        let label = row.label(sink.lang);
        let message = sink.say(format!("{label}：附件1中列有此项目，但没有它的附件2跟踪分析表"), format!("{label}: listed in 附件1 but no 附件2 form was given for it"));
        sink.at_place("X001", Place::List(table, Some(row)), table.project_cell(row)).emit(message);
        out.extend(sink.into_findings());
    }
}

fn form_without_row(form: &Form, unit: &str, sink: &mut Sink) {
    let name = form.project_name().unwrap_or_default();
    let message = sink.say(
        format!("{name}：有附件2跟踪分析表，但{unit}的附件1清单中没有此项目"),
        format!("{name}: has an 附件2 form but is not in {unit}'s 附件1 list"),
    );
    sink.at_form("X001", form, form.project.as_ref().map(|p| p.cell)).emit(message);
}

/// X002: the form's 年度资金总额 line against the list row, figure by figure; reported on the form.
fn amounts_agree(form: &Form, table: &ListTable, row: &ListRow, sink: &mut Sink) {
    let Some(line) = form.fund_total() else { return };
    let lang = sink.lang;
    let pairs = [
        (lang.pick("年初预算数", "initial budget"), &line.initial, &row.budget_initial),
        (lang.pick("调整后预算数", "adjusted budget"), &line.adjusted, &row.budget_adjusted),
        (lang.pick("实际支出数", "actual spending"), &line.actual, &row.actual),
        (lang.pick("预算执行率", "ratio"), &line.ratio, &row.ratio),
    ];
    for (what, here, there) in pairs {
        let (Some(a), Some(b)) = (here.figure(), there.figure()) else { continue };
        if Interval::of(a).meets(Interval::of(b)) {
            continue;
        }
        let name = form.project_name().unwrap_or_default();
        let (list, cell) = (table.label(), b.cell);
        let (a_shown, b_shown) = shown_pair(a, b);
        let message = sink.say(
            format!("{name}：附件2 {what}为 {a_shown}，附件1（{list} {cell}）为 {b_shown}"),
            format!("{name}: {what} is {a_shown} in the 附件2 form but {b_shown} in 附件1 ({list} {cell})"),
        );
        sink.at_form("X002", form, Some(a.cell)).found(a_shown).expected(b_shown).inputs(format!("{list}!{cell}")).emit(message);
    }
}

/// X005 / I007: a project's forms of one year, each compared with the first of them that states
/// the same thing; reported on the later form. Forms of different years are never compared.
/// A project's forms of one year, keyed by its normalised name and the year.
type YearGroups<'a> = HashMap<(String, Option<i32>), Vec<(&'a Workbook, &'a Form)>>;

fn forms_of_one_year(forms: &[(&Workbook, &Form)], settings: &Settings, out: &mut Vec<Finding>) {
    let mut groups: YearGroups = HashMap::new();
    for (workbook, form) in forms {
        if let Some(name) = form.project_name() {
            groups.entry((name_key(name), form.year)).or_default().push((*workbook, *form));
        }
    }
    let mut keys: Vec<&(String, Option<i32>)> = groups.keys().filter(|k| groups[*k].len() > 1).collect();
    keys.sort();
    for key in keys {
        let group = &groups[key];
        for (at, (workbook, later)) in group.iter().enumerate() {
            let earlier: Vec<&Form> = group[..at].iter().map(|(_, f)| *f).filter(|f| same_unit(&unit_key(&f.unit), &unit_key(&later.unit))).collect();
            if earlier.is_empty() {
                continue;
            }
            let mut sink = sink_for(workbook, settings);
            shared_amounts(later, &earlier, &mut sink);
            same_targets(later, &earlier, &mut sink);
            out.extend(sink.into_findings());
        }
    }
}

/// The amounts two kinds of form share: 年初预算数 always; the year's budget and spending between
/// a self-evaluation and a tracking form (a monitoring form's 执行数 is mid-year, a declaration's
/// amount is planned).
fn shared(line: &crate::model::FundLine, kind: FormKind, other: FormKind) -> Vec<(&'static str, &'static str, &Field)> {
    let mut shared = Vec::new();
    if kind != FormKind::Declaration && other != FormKind::Declaration {
        shared.push(("年初预算数", "initial budget", &line.initial));
    }
    let full_year = [FormKind::SelfEvaluation, FormKind::Tracking];
    if full_year.contains(&kind) && full_year.contains(&other) {
        shared.push(("调整后（全年）预算数", "adjusted budget", &line.adjusted));
        shared.push(("实际（全年）执行数", "actual spending", &line.actual));
    }
    shared
}

fn shared_amounts(later: &Form, earlier: &[&Form], sink: &mut Sink) {
    let Some(line) = later.fund_total() else { return };
    let mut reported: Vec<&'static str> = Vec::new();
    for other in earlier {
        let Some(other_line) = other.fund_total() else { continue };
        let theirs = shared(other_line, other.kind, later.kind);
        for (zh, en, field) in shared(line, later.kind, other.kind) {
            let Some((_, _, there)) = theirs.iter().find(|(z, _, _)| *z == zh) else { continue };
            let (Some(a), Some(b)) = (field.figure(), there.figure()) else { continue };
            if reported.contains(&zh) || Interval::of(a).meets(Interval::of(b)) {
                continue;
            }
            reported.push(zh);
            let name = later.project_name().unwrap_or_default();
            let (this, that) = (later.kind.label(sink.lang), other.kind.label(sink.lang));
            let what = sink.lang.pick(zh, en);
            let (a_shown, b_shown) = shown_pair(a, b);
            let message = sink.say(
                format!("{name}：{this}{what}为 {a_shown}，{that}（{}!{}）为 {b_shown}", other.sheet, b.cell),
                format!("{name}: {what} is {a_shown} in the {this} but {b_shown} in the {that} ({}!{})", other.sheet, b.cell),
            );
            sink.at_form("X005", later, Some(a.cell)).found(a_shown).expected(b_shown).inputs(format!("{}!{}", other.sheet, b.cell)).emit(message);
        }
    }
}

/// Two targets say the same when their texts match, or when both read as the same quantity or deadline.
fn same_target(a: &str, b: &str) -> bool {
    if squash(a) == squash(b) {
        return true;
    }
    match (parse(a), parse(b)) {
        (IndicatorValue::Quantity(x), IndicatorValue::Quantity(y)) => x.op == y.op && x.value == y.value && x.unit == y.unit,
        (x @ IndicatorValue::Deadline(_), y @ IndicatorValue::Deadline(_)) => x == y,
        _ => false,
    }
}

fn annual_targets(form: &Form) -> impl Iterator<Item = (String, &Indicator)> {
    form.indicators.iter().filter(|i| i.half == Half::Annual).filter_map(|i| Some((squash(i.level3.as_deref()?).into_owned(), i)))
}

fn same_targets(later: &Form, earlier: &[&Form], sink: &mut Sink) {
    let mut first_stated: HashMap<String, (&Form, &Indicator)> = HashMap::new();
    for form in earlier {
        for (name, indicator) in annual_targets(form) {
            first_stated.entry(name).or_insert((*form, indicator));
        }
    }
    for (name, indicator) in annual_targets(later) {
        let (Some((other, theirs)), Some(target)) = (first_stated.get(&name), indicator.target.as_deref()) else { continue };
        let Some(their_target) = theirs.target.as_deref() else { continue };
        if same_target(target, their_target) {
            continue;
        }
        let project = later.project_name().unwrap_or_default();
        let (this, that) = (later.kind.label(sink.lang), other.kind.label(sink.lang));
        let level3 = indicator.level3.as_deref().unwrap_or_default();
        let message = sink.say(
            format!("{project}·{level3}：{this}的指标值为 {target}，{that}（{}!{}）为 {their_target}", other.sheet, theirs.target_cell),
            format!("{project} · {level3}: the target is {target} in the {this} but {their_target} in the {that} ({}!{})", other.sheet, theirs.target_cell),
        );
        sink.at_form("I007", later, Some(indicator.target_cell))
            .found(target.to_string())
            .expected(their_target.to_string())
            .inputs(format!("{}!{}", other.sheet, theirs.target_cell))
            .emit(message);
    }
}
