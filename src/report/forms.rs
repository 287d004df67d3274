//! The forms and their indicators as tables, one row per form and one per indicator, with provenance.

use crate::model::{Field, Form, Workbook};
use crate::read::indicator_value::{compare, parse, Verdict};
use crate::report::tabular::{Tabular, Values};

struct FormRef<'a> {
    workbook: &'a Workbook,
    form: &'a Form,
}

fn forms_of<'a>(workbooks: &[&'a Workbook]) -> Vec<FormRef<'a>> {
    workbooks.iter().flat_map(|wb| wb.forms.iter().map(move |form| FormRef { workbook: wb, form })).collect()
}

fn text<T>(items: &[T], value: impl Fn(&T) -> Option<String>) -> Values {
    Values::Text(items.iter().map(value).collect())
}

fn decimal<T>(items: &[T], field: impl Fn(&T) -> Option<&Field>) -> Values {
    Values::Decimal(items.iter().map(|i| field(i).and_then(Field::value)).collect())
}

/// One row per form: its kind, year, head, the 年度资金总额 line's figures and its scores.
pub fn forms_table(workbooks: &[&Workbook], with_file: bool) -> Tabular {
    let forms = forms_of(workbooks);
    let mut out = Tabular::default();
    if with_file {
        out.push("file", text(&forms, |f| Some(f.workbook.path.display().to_string())));
    }
    out.push("sheet", text(&forms, |f| Some(f.form.sheet.clone())));
    out.push("form", Values::Int(forms.iter().map(|f| Some(f.form.index as i64)).collect()));
    out.push("kind", text(&forms, |f| Some(f.form.kind.as_str().to_string())));
    out.push("year", Values::Int(forms.iter().map(|f| f.form.year.map(i64::from)).collect()));
    out.push("project", text(&forms, |f| f.form.project_name().map(str::to_string)));
    out.push("department", text(&forms, |f| f.form.department.as_ref().map(|w| w.text.clone())));
    out.push("implementer", text(&forms, |f| f.form.implementer.as_ref().map(|w| w.text.clone())));
    out.push("unit", text(&forms, |f| Some(f.form.unit.clone())));
    fn total<'a>(f: &FormRef<'a>) -> Option<&'a crate::model::FundLine> {
        f.form.fund_total()
    }
    out.push("budget_initial", decimal(&forms, |f| total(f).map(|l| &l.initial)));
    out.push("budget_adjusted", decimal(&forms, |f| total(f).map(|l| &l.adjusted)));
    out.push("actual", decimal(&forms, |f| total(f).map(|l| &l.actual)));
    out.push("ratio", decimal(&forms, |f| total(f).map(|l| &l.ratio)));
    out.push("projected", decimal(&forms, |f| total(f).map(|l| &l.projected)));
    out.push("score_max", decimal(&forms, |f| total(f).map(|l| &l.score_max)));
    out.push("score", decimal(&forms, |f| total(f).map(|l| &l.score)));
    out.push("total_score", decimal(&forms, |f| f.form.total.as_ref().map(|t| &t.score)));
    out.push("indicators", Values::Int(forms.iter().map(|f| Some(f.form.indicators.len() as i64)).collect()));
    out.push("title_cell", text(&forms, |f| Some(f.form.title_cell.to_string())));
    out.push("project_cell", text(&forms, |f| f.form.project.as_ref().map(|p| p.cell.to_string())));
    out.push("ratio_cell", text(&forms, |f| total(f).and_then(|l| l.ratio.cell()).map(|c| c.to_string())));
    // Where each figure above sits, so a finding can point at it (custom rules, `on="forms"`).
    out.push("budget_initial_cell", text(&forms, |f| total(f).and_then(|l| l.initial.cell()).map(|c| c.to_string())));
    out.push("budget_adjusted_cell", text(&forms, |f| total(f).and_then(|l| l.adjusted.cell()).map(|c| c.to_string())));
    out.push("actual_cell", text(&forms, |f| total(f).and_then(|l| l.actual.cell()).map(|c| c.to_string())));
    out.push("projected_cell", text(&forms, |f| total(f).and_then(|l| l.projected.cell()).map(|c| c.to_string())));
    out.push("score_cell", text(&forms, |f| total(f).and_then(|l| l.score.cell()).map(|c| c.to_string())));
    out.push("total_score_cell", text(&forms, |f| f.form.total.as_ref().and_then(|t| t.score.cell()).map(|c| c.to_string())));
    out
}

/// One row per indicator, with its target and actual as written, what they parse to and the verdict.
pub fn indicators_table(workbooks: &[&Workbook], with_file: bool) -> Tabular {
    let forms = forms_of(workbooks);
    let rows: Vec<(&FormRef<'_>, &crate::model::Indicator)> = forms.iter().flat_map(|f| f.form.indicators.iter().map(move |i| (f, i))).collect();
    let verdicts: Vec<(Option<&'static str>, Option<String>)> = rows
        .iter()
        .map(|(_, i)| {
            let (Some(actual), _) = i.compared_actual() else { return (None, None) };
            match compare(&parse(i.target.as_deref().unwrap_or_default()), &parse(actual)) {
                Verdict::Met => (Some("met"), None),
                Verdict::NotMet => (Some("not_met"), None),
                Verdict::NotComparable(reason) => (Some("not_comparable"), Some(reason.message(crate::model::Lang::Zh))),
            }
        })
        .collect();
    let mut out = Tabular::default();
    if with_file {
        out.push("file", text(&rows, |(f, _)| Some(f.workbook.path.display().to_string())));
    }
    out.push("sheet", text(&rows, |(f, _)| Some(f.form.sheet.clone())));
    out.push("form", Values::Int(rows.iter().map(|(f, _)| Some(f.form.index as i64)).collect()));
    out.push("kind", text(&rows, |(f, _)| Some(f.form.kind.as_str().to_string())));
    out.push("project", text(&rows, |(f, _)| f.form.project_name().map(str::to_string)));
    out.push("unit", text(&rows, |(f, _)| Some(f.form.unit.clone())));
    out.push("row", Values::Int(rows.iter().map(|(_, i)| Some(i64::from(i.row) + 1)).collect()));
    out.push("half", text(&rows, |(_, i)| Some(i.half.as_str().to_string())));
    out.push("level1", text(&rows, |(_, i)| i.level1.clone()));
    out.push("level2", text(&rows, |(_, i)| i.level2.clone()));
    out.push("level3", text(&rows, |(_, i)| i.level3.clone()));
    out.push("target", text(&rows, |(_, i)| i.target.clone()));
    out.push("actual", text(&rows, |(_, i)| i.actual.clone()));
    out.push("projected", text(&rows, |(_, i)| i.projected.clone()));
    out.push("target_kind", text(&rows, |(_, i)| i.target.as_deref().map(|t| format!("{:?}", parse(t).kind()).to_lowercase())));
    out.push("verdict", Values::Text(verdicts.iter().map(|(v, _)| v.map(str::to_string)).collect()));
    out.push("reason", Values::Text(verdicts.into_iter().map(|(_, r)| r).collect()));
    out.push("score_max", decimal(&rows, |(_, i)| Some(&i.score_max)));
    out.push("score", decimal(&rows, |(_, i)| Some(&i.score)));
    out.push("cause", text(&rows, |(_, i)| i.cause.clone()));
    out.push("ticked_causes", text(&rows, |(_, i)| (!i.ticked_causes.is_empty()).then(|| i.ticked_causes.join("、"))));
    out.push("target_cell", text(&rows, |(_, i)| Some(i.target_cell.to_string())));
    out.push("actual_cell", text(&rows, |(_, i)| i.actual_cell.map(|c| c.to_string())));
    out.push("projected_cell", text(&rows, |(_, i)| i.projected_cell.map(|c| c.to_string())));
    out
}
