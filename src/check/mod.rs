//! Checking: every rule family recomputes what the workbook states and reports contradictions.

pub mod across;
pub mod arithmetic;
pub mod catalog;
pub mod cross_table;
pub mod derived;
pub mod execution;
pub mod form;
pub mod hierarchy;
pub mod rollup;
pub mod structure;
pub mod values;
#[cfg(test)]
pub mod testing;

use rust_decimal::Decimal;

use crate::check::catalog::rule;
use crate::model::interval::round_shown;
use crate::model::{CellRef, Figure, Form, Lang, ListRow, ListTable, Workbook};
use crate::report::finding::Finding;
use crate::settings::Settings;

/// Runs every enabled rule on a read workbook. Info findings are kept; showing them is the front ends' call.
///
/// The rule families of a table are independent, so two halves run at once; the findings come out in
/// one order all the same: table by table, family by family, then the checks across tables.
pub fn check_workbook(workbook: &Workbook, settings: &Settings) -> Found {
    type Family = fn(&ListTable, &mut Sink);
    let run = |families: &[Family]| -> Vec<Found> {
        let in_table = |table| {
            let mut sink = Sink::new(workbook, settings).counting_hidden();
            families.iter().for_each(|check| check(table, &mut sink));
            sink.into_found()
        };
        workbook.tables.iter().map(in_table).collect()
    };
    // The arithmetic takes about as long as the other families together: it runs on its own, and the
    // findings are put back in the families' order.
    let (sums, (values, rest)) = crate::parallel::both(
        || run(&[arithmetic::check, hierarchy::check]),
        || (run(&[values::check]), run(&[structure::check_duplicates, execution::check, derived::check])),
    );
    let mut found = Found::default();
    for ((values, sums), rest) in values.into_iter().zip(sums).zip(rest) {
        found.extend(values);
        found.extend(sums);
        found.extend(rest);
    }
    let mut sink = Sink::new(workbook, settings).counting_hidden();
    cross_table::check(&workbook.tables, &mut sink);
    for form in &workbook.forms {
        form::check(form, &mut sink);
    }
    structure::skipped_sheets(&workbook.skipped, &mut sink);
    structure::formulas(workbook, &mut sink);
    found.extend(sink.into_found());
    found
}

/// Collects findings, applying the settings: rules switched off are dropped, severities overridden.
pub struct Sink<'a> {
    file: String,
    pub settings: &'a Settings,
    pub lang: Lang,
    findings: Vec<Finding>,
    /// Findings the settings hide, when only counted (see [`Sink::counting_hidden`]).
    hidden: Option<usize>,
}

/// What checks found: the findings the settings show, and how many they hide.
#[derive(Debug, Default)]
pub struct Found {
    pub findings: Vec<Finding>,
    pub hidden: usize,
}

impl Found {
    pub fn extend(&mut self, more: Found) {
        self.findings.extend(more.findings);
        self.hidden += more.hidden;
    }
}

impl<'a> Sink<'a> {
    pub fn new(workbook: &Workbook, settings: &'a Settings) -> Sink<'a> {
        Sink::for_file(workbook.path.display().to_string(), settings)
    }

    /// A finding for a whole file that has no table (S001 and the like).
    pub fn for_file(file: String, settings: &'a Settings) -> Sink<'a> {
        Sink { file, settings, lang: settings.lang, findings: Vec::new(), hidden: None }
    }

    /// Findings the settings hide (info, unless shown) are counted rather than kept: a million-row
    /// list has a hundred thousand such notes, 100 MB held for a number in the summary.
    pub fn counting_hidden(mut self) -> Self {
        self.hidden = Some(0);
        self
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }

    pub fn into_found(self) -> Found {
        Found { findings: self.findings, hidden: self.hidden.unwrap_or(0) }
    }

    /// Starts a finding of `rule_id` about `row` of `table`; nothing is kept unless the rule is enabled.
    pub fn at(&mut self, rule_id: &'static str, table: &ListTable, row: Option<&ListRow>, cell: Option<CellRef>) -> Draft<'_, 'a> {
        self.at_place(rule_id, Place::List(table, row), cell)
    }

    /// Starts a finding of `rule_id` about a form, at `cell`.
    pub fn at_form(&mut self, rule_id: &'static str, form: &Form, cell: Option<CellRef>) -> Draft<'_, 'a> {
        self.at_place(rule_id, Place::Form(form), cell)
    }

    pub fn at_place(&mut self, rule_id: &'static str, place: Place, cell: Option<CellRef>) -> Draft<'_, 'a> {
        let location = match place {
            Place::List(table, row) => Location {
                sheet: table.sheet.clone(),
                cell,
                unit: Some(row.map_or(table.unit.as_str(), |r| table.unit_of(r)).to_string()),
                table: Some(table.label()),
                form: None,
                row: row.map(|r| r.row + 1).or(cell.map(|c| c.row + 1)),
                department: row.and_then(|r| r.department.as_deref().map(str::to_string)),
                project: row.and_then(|r| r.project.as_deref().map(str::to_string)),
            },
            Place::Form(form) => Location {
                sheet: form.sheet.clone(),
                cell,
                unit: Some(form.unit.clone()),
                table: Some(form.label(self.lang)),
                form: Some(form.index),
                row: cell.map(|c| c.row + 1),
                department: form.implementer.as_ref().map(|w| w.text.clone()),
                project: form.project_name().map(str::to_string),
            },
        };
        Draft { sink: self, rule_id, location, found: None, expected: None, inputs: None }
    }

    pub fn at_sheet(&mut self, rule_id: &'static str, sheet: &str, cell: Option<CellRef>) -> Draft<'_, 'a> {
        let location = Location { sheet: sheet.to_string(), cell, ..Location::default() };
        Draft { sink: self, rule_id, location, found: None, expected: None, inputs: None }
    }

    /// Chinese or English text for a message.
    pub fn say(&self, zh: String, en: String) -> String {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// What a finding is about: a list (and one of its rows) or a form.
#[derive(Debug, Clone, Copy)]
pub enum Place<'p> {
    List(&'p ListTable, Option<&'p ListRow>),
    Form(&'p Form),
}

#[derive(Debug, Default)]
struct Location {
    sheet: String,
    cell: Option<CellRef>,
    unit: Option<String>,
    table: Option<String>,
    form: Option<usize>,
    row: Option<u32>,
    department: Option<String>,
    project: Option<String>,
}

/// A finding being put together; `emit` files it.
pub struct Draft<'s, 'a> {
    sink: &'s mut Sink<'a>,
    rule_id: &'static str,
    location: Location,
    found: Option<String>,
    expected: Option<String>,
    inputs: Option<String>,
}

impl Draft<'_, '_> {
    pub fn found(mut self, text: impl Into<String>) -> Self {
        self.found = Some(text.into());
        self
    }

    pub fn expected(mut self, text: impl Into<String>) -> Self {
        self.expected = Some(text.into());
        self
    }

    /// The unit of a finding placed on a sheet rather than on a document.
    pub fn unit(mut self, unit: Option<String>) -> Self {
        self.location.unit = unit;
        self
    }

    pub fn inputs(mut self, text: impl Into<String>) -> Self {
        self.inputs = Some(text.into());
        self
    }

    pub fn emit(self, message: String) {
        let settings = self.sink.settings;
        let Some(info) = rule(self.rule_id) else { return };
        if !settings.is_enabled(info.id) {
            return;
        }
        let severity = settings.severity_of(info.id, info.severity);
        if let Some(hidden) = self.sink.hidden.as_mut().filter(|_| !settings.shows(severity)) {
            *hidden += 1;
            return;
        }
        let location = self.location;
        self.sink.findings.push(Finding {
            file: self.sink.file.clone(),
            sheet: location.sheet,
            cell: location.cell,
            rule: info.id,
            severity,
            message,
            found: self.found,
            expected: self.expected,
            inputs: self.inputs,
            unit: location.unit,
            table: location.table,
            form: location.form,
            row: location.row,
            department: location.department,
            project: location.project,
        });
    }
}

/// A figure as the sheet shows it: `80.00`, `-12.50`; one written in 元 in 元 (`800000.00`).
pub fn shown(figure: &Figure) -> String {
    shown_like(figure.value, figure)
}

/// A value (in 万元 for an amount) shown as the figure it is compared with is: with its decimals, and
/// in 元 when that figure is written in 元.
pub fn shown_like(value: Decimal, like: &Figure) -> String {
    match like.decimals() {
        Some(decimals) if like.in_yuan && decimals >= 4 => {
            value.checked_mul(Decimal::from(10_000)).map_or_else(|| round_shown(value, like.decimals()), |yuan| round_shown(yuan, Some(decimals - 4))).to_string()
        }
        _ => round_shown(value, like.decimals()).to_string(),
    }
}

/// Two figures of two documents as shown, with their units (`80.00万元`, `800000.00元`) where one is
/// written in 元 and the other in 万元.
pub fn shown_pair(a: &Figure, b: &Figure) -> (String, String) {
    if a.in_yuan == b.in_yuan {
        return (shown(a), shown(b));
    }
    let with_unit = |f: &Figure| format!("{}{}", shown(f), if f.in_yuan { "元" } else { "万元" });
    (with_unit(a), with_unit(b))
}
