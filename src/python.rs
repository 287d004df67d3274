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
use crate::custom_rules::{self, CustomRule, Target};
use crate::error::Error;
use crate::model::{Lang, Workbook};
use crate::read::grid::ReadLimits;
use crate::read::{read_documents_within, read_workbook_strict_within, read_workbook_within};
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
create_exception!(budgetlint, NoWorkbookFound, BudgetlintError, "A folder (or the paths given) holds no workbook to check.");

/// The single conversion from the core's error to Python: the class by kind, details as attributes.
pub(crate) fn py_error(py: Python<'_>, error: &Error, lang: Lang) -> PyErr {
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
pub(crate) fn guarded<T: Send>(py: Python<'_>, work: impl FnOnce() -> PyResult<T> + Send) -> PyResult<T> {
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

/// `read_list` and `read_forms` read one workbook; a folder is `check`'s (it reads every workbook inside).
fn refuse_folder(py: Python<'_>, path: &std::path::Path, function: &str) -> PyResult<()> {
    if !path.is_dir() {
        return Ok(());
    }
    let shown = path.display();
    let err = UnreadableWorkbook::new_err(format!(
        "{shown} 是文件夹，不是工作簿：{function} 读取一个 .xlsx .xlsm .xls 或 .ods 文件；文件夹中的每个工作簿请用 bl.check(文件夹) \
         ({shown} is a folder, not a workbook: {function} reads one .xlsx, .xlsm, .xls or .ods file; for every workbook in a folder use bl.check(folder))"
    ));
    let value = err.value(py);
    let _ = value.setattr("path", shown.to_string());
    let _ = value.setattr("sheet", py.None());
    let _ = value.setattr("cell", py.None());
    let _ = value.setattr("kind", "UnreadableWorkbook");
    Err(err)
}

/// The reading limits `limits=` gives (each over its default), as written values: `{"max_sheets": "5"}`.
fn limits_from(py: Python<'_>, limits: Option<HashMap<String, String>>) -> PyResult<ReadLimits> {
    let mut settings = Settings::default();
    apply_limits(&mut settings, limits).map_err(|e| py_error(py, &e, Lang::Zh))?;
    Ok(settings.limits)
}

/// `limits=` over the settings file's `[limits]`; a mistake names the key and what was expected.
fn apply_limits(settings: &mut Settings, limits: Option<HashMap<String, String>>) -> Result<(), Error> {
    let mut limits: Vec<(String, String)> = limits.unwrap_or_default().into_iter().collect();
    // The first mistake in key order, whatever the dict's order.
    limits.sort();
    for (key, value) in limits {
        settings.set_limit(&key, &value).map_err(Error::Usage)?;
    }
    Ok(())
}

/// Reads the 附件1 tables of a workbook into one frame (see the package docs for the columns).
#[pyfunction]
#[pyo3(signature = (path, *, strict = true, limits = None))]
fn read_list(py: Python<'_>, path: PathBuf, strict: bool, limits: Option<HashMap<String, String>>) -> PyResult<PyDataFrame> {
    let limits = limits_from(py, limits)?;
    refuse_folder(py, &path, "read_list")?;
    let table = guarded(py, || {
        let workbook: Result<Workbook, Error> =
            if strict { read_workbook_strict_within(&path, &limits) } else { read_workbook_within(&path, &limits) };
        Ok(workbook.map(|wb| projects_table(&[&wb], false)))
    })?;
    frame(&table.map_err(|e| py_error(py, &e, Lang::Zh))?)
}

/// Reads the performance forms of a workbook into two frames: the forms and their indicators.
#[pyfunction]
#[pyo3(signature = (path, *, limits = None))]
fn read_forms(py: Python<'_>, path: PathBuf, limits: Option<HashMap<String, String>>) -> PyResult<(PyDataFrame, PyDataFrame)> {
    let limits = limits_from(py, limits)?;
    refuse_folder(py, &path, "read_forms")?;
    let tables = guarded(py, || {
        Ok(read_documents_within(&path, &limits).map(|wb| (forms_table(&[&wb], false), indicators_table(&[&wb], false))))
    })?;
    let (forms, indicators) = tables.map_err(|e| py_error(py, &e, Lang::Zh))?;
    Ok((frame(&forms)?, frame(&indicators)?))
}

/// The outcome of `check`: the core report, kept for the frames and JSON the Python side asks for.
#[pyclass(name = "NativeReport", module = "budgetlint")]
pub(crate) struct NativeReport {
    pub(crate) report: Report,
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

    /// Files the findings of a rule of the user's for the rows `rows` (0-based) of the `on` frame
    /// (as `projects()`, `forms()` or `indicators()` give it); returns how many were added.
    #[pyo3(signature = (id, message, severity, on, column, rows))]
    fn add_rule_findings(&mut self, id: &str, message: &str, severity: &str, on: &str, column: Option<String>, rows: Vec<usize>) -> PyResult<usize> {
        let lang = self.report.settings.lang;
        custom_rules::check_id(id, lang).map_err(ConfigError::new_err)?;
        let severity = Severity::parse(severity)
            .ok_or_else(|| ConfigError::new_err(format!("{id}: severity 应为 error、warning 或 info (must be error, warning or info)，而不是 {severity:?}")))?;
        let on = Target::parse(on)
            .ok_or_else(|| ConfigError::new_err(format!("{id}: on 应为 projects、indicators 或 forms (must be projects, indicators or forms)，而不是 {on:?}")))?;
        let rule = CustomRule { id: id.to_string(), message: message.to_string(), severity, column, on, when: String::new() };
        let workbooks: Vec<&Workbook> = self.report.checked().map(|c| &c.workbook).collect();
        let table = on.table(&workbooks);
        let mut checked: Vec<&mut crate::report::Checked> = self.report.files.iter_mut().filter_map(|f| f.outcome.as_mut().ok()).collect();
        custom_rules::add_findings(&rule, &table, &rows, &mut checked, lang).map_err(ConfigError::new_err)
    }

    /// The rules of the settings file (`[[rules]]`): (id, message, severity, on, column, when).
    fn config_rules(&self) -> Vec<(String, String, String, String, String, String)> {
        let rules = &self.report.settings.rules;
        rules.iter().map(|r| (r.id.clone(), r.message.clone(), r.severity.as_str().to_string(), r.on.as_str().to_string(), r.column().to_string(), r.when.clone())).collect()
    }

    /// The top rows (and the rows of findings) of every checked table and form:
    /// (file, sheet, label, first_col, [(row, cells)], total_rows), rows and columns 0-based.
    #[allow(clippy::type_complexity)]
    fn previews(&self) -> Vec<(String, String, String, u32, Vec<(u32, Vec<String>)>, u32)> {
        self.report
            .checked_files()
            .flat_map(|(path, checked)| {
                checked.previews.iter().map(move |p| (path.display().to_string(), p.sheet.clone(), p.label.clone(), p.first_col, p.rows.clone(), p.total_rows))
            })
            .collect()
    }

    /// The language of messages ("zh" or "en").
    fn lang(&self) -> &'static str {
        self.report.settings.lang.pick("zh", "en")
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
pub(crate) struct Keywords {
    pub(crate) lang: Option<String>,
    pub(crate) show_info: Option<bool>,
    pub(crate) fail_on: Option<String>,
    pub(crate) disable: Option<Vec<String>>,
    pub(crate) severity: Option<HashMap<String, String>>,
    pub(crate) thresholds: Option<HashMap<String, String>>,
}

fn settings_from(config: Option<PathBuf>, keywords: Keywords, limits: Option<HashMap<String, String>>) -> Result<Settings, Error> {
    let mut settings = Settings::load(config.as_deref())?;
    let usage = Error::Usage;
    if let Some(lang) = keywords.lang {
        settings.lang = Lang::parse(&lang).ok_or_else(|| usage(format!("lang 应为 \"zh\" 或 \"en\"，而不是 {lang:?}")))?;
    }
    if let Some(show_info) = keywords.show_info {
        settings.show_info = show_info;
    }
    if let Some(fail_on) = keywords.fail_on {
        settings.fail_on = FailOn::parse(&fail_on).ok_or_else(|| {
            usage(match settings.lang {
                Lang::Zh => format!("fail_on 应为 error、warning 或 never，而不是 {fail_on:?}"),
                Lang::En => format!("fail_on must be error, warning or never, not {fail_on:?}"),
            })
        })?;
    }
    for id in keywords.disable.unwrap_or_default() {
        settings.disable(&id).map_err(usage)?;
    }
    for (id, level) in keywords.severity.unwrap_or_default() {
        let level = Severity::parse(&level).ok_or_else(|| {
            usage(match settings.lang {
                Lang::Zh => format!("severity[{id}] 应为 error、warning 或 info，而不是 {level:?}"),
                Lang::En => format!("severity[{id}] must be error, warning or info, not {level:?}"),
            })
        })?;
        settings.set_severity(&id, level).map_err(usage)?;
    }
    for (name, value) in keywords.thresholds.unwrap_or_default() {
        settings.set_threshold(&name, &value).map_err(usage)?;
    }
    apply_limits(&mut settings, limits)?;
    Ok(settings)
}

/// The settings file with the keywords and `limits=` (`{"max_cells_per_sheet": "20000000"}`) over it;
/// a mistake in them is told in the language asked for.
pub(crate) fn settings_with_limits(
    py: Python<'_>,
    config: Option<PathBuf>,
    keywords: Keywords,
    limits: Option<HashMap<String, String>>,
) -> PyResult<Settings> {
    let message_lang = keywords.lang.as_deref().and_then(Lang::parse).unwrap_or_default();
    settings_from(config, keywords, limits).map_err(|e| py_error(py, &e, message_lang))
}

/// Checks workbooks. `on_error="raise"` raises the first unreadable file's error; `"collect"` keeps going.
#[pyfunction]
#[pyo3(signature = (paths, *, config = None, on_error = "raise", lang = None, show_info = None, fail_on = None, disable = None, severity = None, thresholds = None, limits = None))]
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
    limits: Option<HashMap<String, String>>,
) -> PyResult<NativeReport> {
    let collect = match on_error {
        "raise" => false,
        "collect" => true,
        other => return Err(ConfigError::new_err(format!("on_error 应为 \"raise\" 或 \"collect\"，而不是 {other:?}"))),
    };
    parse_lang(lang.as_deref())?;
    let settings = settings_with_limits(py, config, Keywords { lang, show_info, fail_on, disable, severity, thresholds }, limits)?;
    let inputs = crate::cli::expand_inputs(&paths);
    if inputs.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        let shown = shown.join(", ");
        let err = NoWorkbookFound::new_err(match settings.lang {
            Lang::Zh => format!("{shown}：没有找到要检查的工作簿（.xlsx .xlsm .xls .ods .xlsb）"),
            Lang::En => format!("{shown}: no workbook to check (.xlsx .xlsm .xls .ods .xlsb)"),
        });
        let _ = err.value(py).setattr("path", paths.first().map(|p| p.display().to_string()));
        let _ = err.value(py).setattr("sheet", py.None());
        let _ = err.value(py).setattr("cell", py.None());
        let _ = err.value(py).setattr("kind", "NoWorkbookFound");
        return Err(err);
    }
    let rules = settings.rules.clone();
    let mut report = guarded(py, || Ok(Report::check_paths(&inputs, settings)))?;
    if !collect {
        if let Some((_, error)) = report.failures().next() {
            return Err(py_error(py, error, report.settings.lang));
        }
    }
    if !rules.is_empty() {
        // The settings file's rules: their SQL conditions are evaluated by the polars of this Python.
        custom_rules::apply_to_report(&rules, &mut report).map_err(ConfigError::new_err)?;
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
    let info = rule(rule_id).ok_or_else(|| {
        ConfigError::new_err(match lang {
            Lang::Zh => format!("未知规则 {rule_id}；bl.rules() 列出全部规则"),
            Lang::En => format!("unknown rule {rule_id}; bl.rules() lists them all"),
        })
    })?;
    Ok(render_explain(info, lang))
}

/// A `[[rules]]` condition evaluated by the Python polars (`budgetlint._rules.rows_where`), so the
/// extension needs no SQL engine of its own.
fn rows_where_in_python(frame: &polars::prelude::DataFrame, when: &str) -> Result<Vec<usize>, String> {
    Python::attach(|py| {
        let module = py.import("budgetlint._rules")?;
        module.call_method1("rows_where", (PyDataFrame(frame.clone()), when))?.extract::<Vec<usize>>()
    })
    .map_err(|e| e.to_string())
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
    crate::batch::python::register(m)?;
    m.add_class::<NativeReport>()?;
    m.add("BudgetlintError", py.get_type::<BudgetlintError>())?;
    m.add("UnreadableWorkbook", py.get_type::<UnreadableWorkbook>())?;
    m.add("PasswordProtected", py.get_type::<PasswordProtected>())?;
    m.add("NoTableFound", py.get_type::<NoTableFound>())?;
    m.add("InvalidFigure", py.get_type::<InvalidFigure>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("WriteError", py.get_type::<WriteError>())?;
    m.add("NoWorkbookFound", py.get_type::<NoWorkbookFound>())?;
    custom_rules::set_sql_evaluator(Box::new(rows_where_in_python));
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
