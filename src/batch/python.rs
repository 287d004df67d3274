//! The batch engine for Python: `check_many` on this machine, and the steps the Dask path runs on a
//! cluster (list the inputs, survey each file where it is, plan the groups, check each group).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pyo3::prelude::*;

use crate::batch::group::Survey;
use crate::batch::{inputs, plan_relatives, slashed, work};
use crate::python::{guarded, py_error, settings_with_limits, Keywords, NativeReport};
use crate::report::{FileReport, Report};
use crate::settings::Settings;

#[allow(clippy::too_many_arguments)]
fn settings(
    py: Python<'_>,
    config: Option<PathBuf>,
    lang: Option<String>,
    show_info: Option<bool>,
    fail_on: Option<String>,
    disable: Option<Vec<String>>,
    severity: Option<HashMap<String, String>>,
    thresholds: Option<HashMap<String, String>>,
    limits: Option<HashMap<String, String>>,
) -> PyResult<Settings> {
    settings_with_limits(py, config, Keywords { lang, show_info, fail_on, disable, severity, thresholds }, limits)
}

/// Checks every workbook under `paths`, each unit's files reconciled together, on `jobs` threads.
#[pyfunction]
#[pyo3(signature = (paths, *, jobs = None, config = None, lang = None, show_info = None, fail_on = None, disable = None, severity = None, thresholds = None, limits = None))]
#[allow(clippy::too_many_arguments)]
fn check_many(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    jobs: Option<usize>,
    config: Option<PathBuf>,
    lang: Option<String>,
    show_info: Option<bool>,
    fail_on: Option<String>,
    disable: Option<Vec<String>>,
    severity: Option<HashMap<String, String>>,
    thresholds: Option<HashMap<String, String>>,
    limits: Option<HashMap<String, String>>,
) -> PyResult<NativeReport> {
    let settings = settings(py, config, lang, show_info, fail_on, disable, severity, thresholds, limits)?;
    let lang = settings.lang;
    let report = guarded(py, || Ok(crate::batch::check_many(&paths, jobs, settings)))?;
    Ok(NativeReport { report: report.map_err(|e| py_error(py, &e, lang))? })
}

/// The workbooks under `paths` as `check_many` finds them: (path, path below the inputs' common folder).
#[pyfunction]
fn batch_inputs(paths: Vec<PathBuf>) -> Vec<(String, String)> {
    let found = inputs::discover(&paths, None);
    found.inputs.iter().map(|i| (i.path.display().to_string(), slashed(&i.relative))).collect()
}

/// What grouping needs of one file (JSON), or None when it cannot be read (within the reading limits
/// of the settings file and `limits`, as `check_group` reads it).
#[pyfunction]
#[pyo3(signature = (path, *, config = None, limits = None))]
fn batch_survey(py: Python<'_>, path: PathBuf, config: Option<PathBuf>, limits: Option<HashMap<String, String>>) -> PyResult<Option<String>> {
    let limits = settings(py, config, None, None, None, None, None, None, limits)?.limits;
    guarded(py, || Ok(work::survey_within(&path, &limits).ok().and_then(|s| serde_json::to_string(&s).ok())))
}

/// The groups of files to check together: (indices, the group's unit), from each file's relative path
/// and survey (None: unreadable, a group of its own).
#[pyfunction]
fn batch_plan(relatives: Vec<String>, surveys: Vec<Option<String>>) -> Vec<(Vec<usize>, Option<String>)> {
    let relatives: Vec<PathBuf> = relatives.into_iter().map(PathBuf::from).collect();
    let surveys: Vec<Option<Survey>> = surveys.iter().map(|s| s.as_deref().and_then(|s| serde_json::from_str(s).ok())).collect();
    let refs: Vec<&Path> = relatives.iter().map(PathBuf::as_path).collect();
    plan_relatives(&refs, &surveys)
}

/// Checks one group of files together (as `check_many` checks each group), in the order given.
#[pyfunction]
#[pyo3(signature = (paths, unit = None, *, config = None, lang = None, show_info = None, fail_on = None, disable = None, severity = None, thresholds = None, limits = None))]
#[allow(clippy::too_many_arguments)]
fn check_group(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    unit: Option<String>,
    config: Option<PathBuf>,
    lang: Option<String>,
    show_info: Option<bool>,
    fail_on: Option<String>,
    disable: Option<Vec<String>>,
    severity: Option<HashMap<String, String>>,
    thresholds: Option<HashMap<String, String>>,
    limits: Option<HashMap<String, String>>,
) -> PyResult<NativeReport> {
    let settings = settings(py, config, lang, show_info, fail_on, disable, severity, thresholds, limits)?;
    let files = guarded(py, || {
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        Ok(work::check_group(&refs, unit.as_deref(), &settings, false).into_iter().map(|f| f.report).collect::<Vec<FileReport>>())
    })?;
    Ok(NativeReport { report: Report { files, settings } })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check_many, m)?)?;
    m.add_function(wrap_pyfunction!(batch_inputs, m)?)?;
    m.add_function(wrap_pyfunction!(batch_survey, m)?)?;
    m.add_function(wrap_pyfunction!(batch_plan, m)?)?;
    m.add_function(wrap_pyfunction!(check_group, m)?)?;
    Ok(())
}
