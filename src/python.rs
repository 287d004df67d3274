//! The Python edge: the `budgetlint._budgetlint` module. Errors become `BudgetlintError` subclasses
//! carrying file, sheet and cell; a panic is caught here and never reaches Python.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3_polars::PyDataFrame;

use crate::check::catalog::{rule, Severity, RULES};
use crate::error::Error;
use crate::model::{Lang, Workbook};
use crate::read::{read_documents, read_workbook, read_workbook_strict};
use crate::report::text::render_explain;
use crate::report::{forms_table, indicators_table, projects_table, Report, Tabular};
use crate::settings::{FailOn, Settings};

create_exception!(budgetlint, BudgetlintError, PyException, "Base of every budgetlint error.");
create_exception!(budgetlint, UnreadableWorkbook, BudgetlintError, "The file is missing, not a spreadsheet, or damaged.");
create_exception!(budgetlint, PasswordProtected, UnreadableWorkbook, "The workbook is password-protected.");
create_exception!(budgetlint, NoTableFound, BudgetlintError, "The workbook holds no 附件1 table.");
create_exception!(budgetlint, InvalidFigure, BudgetlintError, "A figure is not a number.");
create_exception!(budgetlint, ConfigError, BudgetlintError, "Settings are invalid.");
create_exception!(budgetlint, WriteError, BudgetlintError, "An output could not be written.");

/// The single conversion from the core's error to Python: the class by kind, details as attributes.
fn py_error(py: Python<'_>, error: &Error, lang: Lang) -> PyErr {
    let message = error.message(lang);
    let err = match error.kind() {
        "UnreadableWorkbook" => UnreadableWorkbook::new_err(message),
        "PasswordProtected" => PasswordProtected::new_err(message),
        "NoTableFound" => NoTableFound::new_err(message),
        "InvalidFigure" => InvalidFigure::new_err(message),
        "ConfigError" => ConfigError::new_err(message),
        "WriteError" => WriteError::new_err(message),
        _ => BudgetlintError::new_err(message),
    };
    let value = err.value(py);
    let _ = value.setattr("path", error.path().map(|p| p.display().to_string()));
    let _ = value.setattr("sheet", error.sheet());
    let _ = value.setattr("cell", error.cell().map(|c| c.to_string()));
    let _ = value.setattr("kind", error.kind());
    err
}

/// Runs `work` without the GIL and turns a panic into a `BudgetlintError`.
fn guarded<T: Send>(py: Python<'_>, work: impl FnOnce() -> PyResult<T> + Send) -> PyResult<T> {
    py.detach(|| catch_unwind(AssertUnwindSafe(work))).unwrap_or_else(|panic| {
        let detail = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(BudgetlintError::new_err(format!("budgetlint 内部错误（internal error），请报告此问题：{detail}")))
    })
}

fn frame(table: &Tabular) -> PyResult<PyDataFrame> {
    table.to_polars().map(PyDataFrame).map_err(|e| BudgetlintError::new_err(e.to_string()))
}

fn parse_lang(lang: Option<&str>) -> PyResult<Option<Lang>> {
    match lang {
        None => Ok(None),
        Some(text) => Lang::parse(text)
            .map(Some)
            .ok_or_else(|| ConfigError::new_err(format!("lang 应为 \"zh\" 或 \"en\"，而不是 {text:?}"))),
    }
}

/// Reads the 附件1 tables of a workbook into one frame (see the package docs for the columns).
#[pyfunction]
#[pyo3(signature = (path, *, strict = true))]
fn read_list(py: Python<'_>, path: PathBuf, strict: bool) -> PyResult<PyDataFrame> {
    let table = guarded(py, || {
        let workbook: Result<Workbook, Error> = if strict { read_workbook_strict(&path) } else { read_workbook(&path) };
        Ok(workbook.map(|wb| projects_table(&[&wb], false)))
    })?;
    frame(&table.map_err(|e| py_error(py, &e, Lang::Zh))?)
}

/// Reads the performance forms of a workbook into two frames: the forms and their indicators.
#[pyfunction]
fn read_forms(py: Python<'_>, path: PathBuf) -> PyResult<(PyDataFrame, PyDataFrame)> {
    let tables = guarded(py, || Ok(read_documents(&path).map(|wb| (forms_table(&[&wb], false), indicators_table(&[&wb], false)))))?;
    let (forms, indicators) = tables.map_err(|e| py_error(py, &e, Lang::Zh))?;
    Ok((frame(&forms)?, frame(&indicators)?))
}

/// The outcome of `check`: the core report, kept for the frames and JSON the Python side asks for.
#[pyclass(name = "NativeReport", module = "budgetlint", frozen)]
struct NativeReport {
    report: Report,
}

#[pymethods]
impl NativeReport {
    fn findings(&self) -> PyResult<PyDataFrame> {
        frame(&self.report.findings_table())
    }

    fn projects(&self) -> PyResult<PyDataFrame> {
        frame(&self.report.projects_table())
    }

    fn summary(&self) -> PyResult<PyDataFrame> {
        frame(&self.report.summary_table())
    }

    fn forms(&self) -> PyResult<PyDataFrame> {
        frame(&self.report.forms_table())
    }

    fn indicators(&self) -> PyResult<PyDataFrame> {
        frame(&self.report.indicators_table())
    }

    fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.report.to_json()).unwrap_or_default()
    }

    fn exit_code(&self) -> i32 {
        self.report.exit_code()
    }

    fn summary_line(&self) -> String {
        crate::report::text::summary_line(&self.report)
    }

    /// (files, unreadable, errors, warnings, infos, hidden_infos)
    fn counts(&self) -> (usize, usize, usize, usize, usize, usize) {
        let c = self.report.counts();
        (c.files, c.unreadable, c.errors, c.warnings, c.infos, c.hidden_infos)
    }

    /// Writes the annotated workbook of the `index`-th readable file.
    fn write_annotated(&self, py: Python<'_>, path: PathBuf, index: usize) -> PyResult<()> {
        let report = &self.report;
        let Some((input, checked)) = report.checked_files().nth(index) else {
            return Err(BudgetlintError::new_err("没有可标注的文件（no readable file to annotate）"));
        };
        let inputs: Vec<PathBuf> = report.files.iter().map(|f| f.path.clone()).collect();
        let written = guarded(py, || Ok(crate::write::annotate_file(input, checked, &report.settings, &path, &inputs)))?;
        written.map_err(|e| py_error(py, &e, report.settings.lang))
    }

    /// Paths of the readable files, in order.
    fn checked_paths(&self) -> Vec<String> {
        self.report.checked_files().map(|(p, _)| p.display().to_string()).collect()
    }

    /// (path, kind, message) of every file that could not be read.
    fn failures(&self) -> Vec<(String, String, String)> {
        let lang = self.report.settings.lang;
        self.report.failures().map(|(p, e)| (p.display().to_string(), e.kind().to_string(), e.message(lang))).collect()
    }
}

/// Settings given as Python keywords, over the settings file.
struct Keywords {
    lang: Option<String>,
    show_info: Option<bool>,
    fail_on: Option<String>,
    disable: Option<Vec<String>>,
    severity: Option<HashMap<String, String>>,
    thresholds: Option<HashMap<String, String>>,
}

fn settings_from(config: Option<PathBuf>, keywords: Keywords) -> Result<Settings, Error> {
    let mut settings = Settings::load(config.as_deref())?;
    let usage = Error::Usage;
    if let Some(lang) = keywords.lang {
        settings.lang = Lang::parse(&lang).ok_or_else(|| usage(format!("lang 应为 \"zh\" 或 \"en\"，而不是 {lang:?}")))?;
    }
    if let Some(show_info) = keywords.show_info {
        settings.show_info = show_info;
    }
    if let Some(fail_on) = keywords.fail_on {
        settings.fail_on = FailOn::parse(&fail_on).ok_or_else(|| usage(format!("fail_on 应为 error、warning 或 never，而不是 {fail_on:?}")))?;
    }
    for id in keywords.disable.unwrap_or_default() {
        settings.disable(&id).map_err(usage)?;
    }
    for (id, level) in keywords.severity.unwrap_or_default() {
        let level = Severity::parse(&level).ok_or_else(|| usage(format!("severity[{id}] 应为 error、warning 或 info")))?;
        settings.set_severity(&id, level).map_err(usage)?;
    }
    for (name, value) in keywords.thresholds.unwrap_or_default() {
        settings.set_threshold(&name, &value).map_err(usage)?;
    }
    Ok(settings)
}

/// Checks workbooks. `on_error="raise"` raises the first unreadable file's error; `"collect"` keeps going.
#[pyfunction]
#[pyo3(signature = (paths, *, config = None, on_error = "raise", lang = None, show_info = None, fail_on = None, disable = None, severity = None, thresholds = None))]
#[allow(clippy::too_many_arguments)]
fn check(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    config: Option<PathBuf>,
    on_error: &str,
    lang: Option<String>,
    show_info: Option<bool>,
    fail_on: Option<String>,
    disable: Option<Vec<String>>,
    severity: Option<HashMap<String, String>>,
    thresholds: Option<HashMap<String, String>>,
) -> PyResult<NativeReport> {
    let collect = match on_error {
        "raise" => false,
        "collect" => true,
        other => return Err(ConfigError::new_err(format!("on_error 应为 \"raise\" 或 \"collect\"，而不是 {other:?}"))),
    };
    let message_lang = parse_lang(lang.as_deref())?.unwrap_or_default();
    let keywords = Keywords { lang, show_info, fail_on, disable, severity, thresholds };
    let settings = settings_from(config, keywords).map_err(|e| py_error(py, &e, message_lang))?;
    let inputs = crate::cli::expand_inputs(&paths);
    let report = guarded(py, || Ok(Report::check_paths(&inputs, settings)))?;
    if !collect {
        if let Some((_, error)) = report.failures().next() {
            return Err(py_error(py, error, report.settings.lang));
        }
    }
    Ok(NativeReport { report })
}

/// The rule catalog: (id, severity, title) in the requested language.
#[pyfunction]
#[pyo3(signature = (lang = "zh"))]
fn rules(lang: &str) -> PyResult<Vec<(String, String, String)>> {
    let lang = parse_lang(Some(lang))?.unwrap_or_default();
    Ok(RULES.iter().map(|r| (r.id.to_string(), r.severity.as_str().to_string(), r.title.get(lang).to_string())).collect())
}

/// What a rule finds, why it matters and an example.
#[pyfunction]
#[pyo3(signature = (rule_id, lang = "zh"))]
fn explain(rule_id: &str, lang: &str) -> PyResult<String> {
    let lang = parse_lang(Some(lang))?.unwrap_or_default();
    let info = rule(rule_id).ok_or_else(|| ConfigError::new_err(format!("未知规则 {rule_id}（unknown rule）")))?;
    Ok(render_explain(info, lang))
}

/// The command line, for the `budgetlint` console script.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<String>) -> PyResult<i32> {
    guarded(py, || Ok(crate::cli::run(argv)))
}

#[pymodule]
fn _budgetlint(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(read_list, m)?)?;
    m.add_function(wrap_pyfunction!(read_forms, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(rules, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add_class::<NativeReport>()?;
    m.add("BudgetlintError", py.get_type::<BudgetlintError>())?;
    m.add("UnreadableWorkbook", py.get_type::<UnreadableWorkbook>())?;
    m.add("PasswordProtected", py.get_type::<PasswordProtected>())?;
    m.add("NoTableFound", py.get_type::<NoTableFound>())?;
    m.add("InvalidFigure", py.get_type::<InvalidFigure>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("WriteError", py.get_type::<WriteError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
