//! Rules of the user's own: a condition over the projects, forms or indicators frame, each row where
//! it holds a finding at that row's cell, with the id, message and severity the user gave.
//!
//! Python gives the condition as a polars expression (`bl.Rule(..., when=pl.col(...) > 100)`); the
//! settings file as a polars SQL expression (`[[rules]]`, `when = "budget_adjusted > 100"`). Either way
//! the rows it selects come here and become findings beside the built-in ones, in every output.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use polars::prelude::DataFrame;
use serde::Deserialize;

use crate::check::catalog::{rule, Severity};
use crate::model::{CellRef, Lang, Workbook};
use crate::read::layout::parse_a1;
use crate::report::finding::Finding;
use crate::report::tabular::{Tabular, Values};
use crate::report::{forms_table, indicators_table, projects_table, Checked, Report};

/// Which frame a rule's condition is evaluated over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// `projects`: one row per list row (as `Report.projects`).
    #[default]
    Projects,
    /// `indicators`: one row per indicator of a form.
    Indicators,
    /// `forms`: one row per form.
    Forms,
}

impl Target {
    pub fn parse(text: &str) -> Option<Target> {
        match text {
            "projects" => Some(Target::Projects),
            "indicators" => Some(Target::Indicators),
            "forms" => Some(Target::Forms),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Projects => "projects",
            Target::Indicators => "indicators",
            Target::Forms => "forms",
        }
    }

    /// The column a finding is placed at when the rule names none.
    pub fn default_column(self) -> &'static str {
        match self {
            Target::Projects | Target::Forms => "budget_adjusted",
            Target::Indicators => "actual",
        }
    }

    /// The frame the condition sees: the same columns as `Report.projects` / `.forms` / `.indicators`.
    pub fn table(self, workbooks: &[&Workbook]) -> Tabular {
        match self {
            Target::Projects => projects_table(workbooks, true),
            Target::Indicators => indicators_table(workbooks, true),
            Target::Forms => forms_table(workbooks, true),
        }
    }

    /// The frame's column naming the document (table or form) a row belongs to.
    fn document_column(self) -> &'static str {
        match self {
            Target::Projects => "table",
            Target::Indicators | Target::Forms => "form",
        }
    }
}

/// One rule of the user's, as the settings file writes it (`[[rules]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRule {
    pub id: String,
    pub message: String,
    #[serde(default = "default_severity")]
    pub severity: Severity,
    /// The column whose cell a finding points at (`{column}_cell` in the frame).
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub on: Target,
    /// A polars SQL expression over the frame's columns.
    pub when: String,
}

fn default_severity() -> Severity {
    Severity::Warning
}

impl CustomRule {
    pub fn column(&self) -> &str {
        self.column.as_deref().unwrap_or(self.on.default_column())
    }
}

/// Whether `id` may name a rule of the user's: letters, digits, `_` or `-`, and no built-in rule's id.
///
/// # Errors
/// The reason, in `lang`.
pub fn check_id(id: &str, lang: Lang) -> Result<(), String> {
    if id.is_empty() || id.len() > 40 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(match lang {
            Lang::Zh => format!("自定义规则编号 {id:?} 应由字母、数字、_ 或 - 组成（至多 40 个字符）"),
            Lang::En => format!("custom rule id {id:?} must be letters, digits, _ or - (at most 40 characters)"),
        });
    }
    if let Some(builtin) = rule(id) {
        return Err(match lang {
            Lang::Zh => format!("自定义规则编号 {id} 与内置规则 {} 重复，请换一个（如 U001）", builtin.id),
            Lang::En => format!("custom rule id {id} clashes with the built-in rule {}; choose another (U001, say)", builtin.id),
        });
    }
    Ok(())
}

/// Checks a set of rules before any work: ids valid, unique and not built-in.
///
/// # Errors
/// The first problem, in `lang`.
pub fn check_rules(rules: &[CustomRule], lang: Lang) -> Result<(), String> {
    let mut seen = HashSet::new();
    for r in rules {
        check_id(&r.id, lang)?;
        if !seen.insert(r.id.to_ascii_uppercase()) {
            return Err(lang.pick("自定义规则编号重复：", "custom rule id given twice: ").to_string() + &r.id);
        }
        if r.message.trim().is_empty() {
            return Err(format!("{}: {}", r.id, lang.pick("message 不能为空", "message must not be empty")));
        }
    }
    Ok(())
}

/// A custom rule's id for the lifetime of the process ([`Finding::rule`] is `&'static str`): each
/// distinct id is kept once, however many reports use it.
pub fn intern(id: &str) -> &'static str {
    static IDS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut ids = IDS.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(known) = ids.get(id) {
        return known;
    }
    let leaked: &'static str = Box::leak(id.to_string().into_boxed_str());
    ids.insert(leaked);
    leaked
}

/// The columns of `table` a finding can point at (those with a `{name}_cell` column).
fn cell_columns(table: &Tabular) -> Vec<&str> {
    table.columns.iter().filter_map(|c| c.name.strip_suffix("_cell")).collect()
}

fn text_at(table: &Tabular, name: &str, row: usize) -> Option<String> {
    match table.column(name)? {
        Values::Text(v) => v.get(row).cloned().flatten(),
        Values::Int(v) => v.get(row).copied().flatten().map(|n| n.to_string()),
        Values::Decimal(v) => v.get(row).copied().flatten().map(|d| d.normalize().to_string()),
    }
}

fn int_at(table: &Tabular, name: &str, row: usize) -> Option<i64> {
    match table.column(name)? {
        Values::Int(v) => v.get(row).copied().flatten(),
        _ => None,
    }
}

/// Files the findings of `rule` for the rows `rows` (0-based, of `rule.on`'s frame over `workbooks`
/// in order) into `checked`, the results of the same workbooks. Returns how many were added.
///
/// # Errors
/// A column that names no cell of the frame, or a row out of range, in `lang`.
pub fn add_findings(rule: &CustomRule, table: &Tabular, rows: &[usize], checked: &mut [&mut Checked], lang: Lang) -> Result<usize, String> {
    let column = rule.column();
    let cell_column = format!("{column}_cell");
    if table.column(&cell_column).is_none() {
        let known = cell_columns(table).join(", ");
        return Err(match lang {
            Lang::Zh => format!("规则 {}：{} 表没有可定位单元格的列 {column}；可用的列：{known}", rule.id, rule.on.as_str()),
            Lang::En => format!("rule {}: the {} frame has no column {column} with a cell; columns with cells: {known}", rule.id, rule.on.as_str()),
        });
    }
    let id = intern(&rule.id);
    let mut added = 0;
    for &row in rows {
        if row >= table.height() {
            return Err(format!("{}: row {row} / {}", rule.id, table.height()));
        }
        let file = text_at(table, "file", row).unwrap_or_default();
        let Some(target) = checked.iter_mut().find(|c| c.workbook.path.display().to_string() == file) else { continue };
        let cell = text_at(table, &cell_column, row).and_then(|a1| parse_a1(&a1)).map(|(r, c)| CellRef::new(r, c));
        let document = int_at(table, rule.on.document_column(), row).unwrap_or(-1);
        let sheet_row = int_at(table, "row", row);
        let Some(mut finding) = locate(&target.workbook, rule.on, document, sheet_row, cell, lang) else { continue };
        finding.rule = id;
        finding.severity = rule.severity;
        finding.message = rule.message.clone();
        finding.found = text_at(table, column, row);
        target.findings.push(finding);
        added += 1;
    }
    Ok(added)
}

/// A finding placed at a row of a document of `workbook`, with its unit, table or form, department
/// and project filled as the built-in rules fill them; the rule and message are the caller's.
fn locate(workbook: &Workbook, on: Target, document: i64, sheet_row: Option<i64>, cell: Option<CellRef>, lang: Lang) -> Option<Finding> {
    let blank = |sheet: &str| Finding {
        file: workbook.path.display().to_string(),
        sheet: sheet.to_string(),
        cell,
        rule: "",
        severity: Severity::Warning,
        message: String::new(),
        found: None,
        expected: None,
        inputs: None,
        unit: None,
        table: None,
        form: None,
        row: None,
        department: None,
        project: None,
    };
    match on {
        Target::Projects => {
            let table = workbook.tables.iter().find(|t| t.index as i64 == document)?;
            let row = table.rows.iter().find(|r| Some(i64::from(r.row) + 1) == sheet_row)?;
            let cell = cell.or(table.project_cell(row)).or_else(|| row.budget_adjusted.cell());
            Some(Finding {
                cell,
                unit: Some(table.unit_of(row).to_string()),
                table: Some(table.label()),
                row: Some(row.row + 1),
                department: row.department.as_deref().map(str::to_string),
                project: row.project.as_deref().map(str::to_string),
                ..blank(&table.sheet)
            })
        }
        Target::Forms | Target::Indicators => {
            let form = workbook.forms.iter().find(|f| f.index as i64 == document)?;
            let indicator = match on {
                Target::Indicators => Some(form.indicators.iter().find(|i| Some(i64::from(i.row) + 1) == sheet_row)?),
                _ => None,
            };
            let cell = cell
                .or(indicator.map(|i| i.target_cell))
                .or(form.project.as_ref().map(|p| p.cell))
                .or(Some(form.title_cell));
            Some(Finding {
                cell,
                unit: Some(form.unit.clone()),
                table: Some(form.label(lang)),
                form: Some(form.index),
                row: indicator.map(|i| i.row + 1).or(cell.map(|c| c.row + 1)),
                department: form.implementer.as_ref().map(|w| w.text.clone()),
                project: form.project_name().map(str::to_string),
                ..blank(&form.sheet)
            })
        }
    }
}

/// Evaluates a polars SQL condition over a frame: the 0-based rows where it is true.
pub type SqlEvaluator = dyn Fn(&DataFrame, &str) -> Result<Vec<usize>, String> + Send + Sync;

static SQL_EVALUATOR: OnceLock<Box<SqlEvaluator>> = OnceLock::new();

/// Installs the evaluator of `when` conditions for a build without polars' SQL (the Python
/// extension evaluates them with the polars it runs beside). The first one installed stays.
pub fn set_sql_evaluator(evaluator: Box<SqlEvaluator>) {
    let _ = SQL_EVALUATOR.set(evaluator);
}

/// The rows of `frame` where the SQL condition `when` holds.
fn evaluate_sql(frame: &DataFrame, when: &str, lang: Lang) -> Result<Vec<usize>, String> {
    #[cfg(feature = "sql")]
    if SQL_EVALUATOR.get().is_none() {
        return sql::rows_where(frame, when);
    }
    match SQL_EVALUATOR.get() {
        Some(evaluate) => evaluate(frame, when),
        None => Err(lang
            .pick(
                "此 budgetlint 构建不含 SQL 条件求值：请使用 Python 包中的 budgetlint 命令，或以 cargo build --features sql 构建",
                "this build of budgetlint cannot evaluate SQL conditions: use the budgetlint command of the Python package, or build with cargo build --features sql",
            )
            .to_string()),
    }
}

#[cfg(feature = "sql")]
mod sql {
    use polars::prelude::*;

    pub fn rows_where(frame: &DataFrame, when: &str) -> Result<Vec<usize>, String> {
        let condition = polars::sql::sql_expr(when).map_err(|e| e.to_string())?;
        let hits = frame.clone().lazy().select([condition.alias("__hit")]).collect().map_err(|e| e.to_string())?;
        let column = hits.column("__hit").map_err(|e| e.to_string())?;
        let mask = column.bool().map_err(|_| format!("{when}: not a true/false condition"))?;
        Ok(mask.iter().enumerate().filter_map(|(i, hit)| (hit == Some(true)).then_some(i)).collect())
    }
}

/// Applies the settings file's rules to one checked workbook (the command line's path, which may
/// write the annotated copy of each file as soon as it is checked).
///
/// # Errors
/// A condition that does not evaluate, or a column without cells, naming the rule, in `lang`.
pub fn apply_to_checked(rules: &[CustomRule], checked: &mut Checked, lang: Lang) -> Result<(), String> {
    for rule in rules {
        let table = rule.on.table(&[&checked.workbook]);
        let frame = table.to_polars().map_err(|e| e.to_string())?;
        let rows = evaluate_sql(&frame, &rule.when, lang).map_err(|e| describe(rule, &checked.workbook.path, &e, lang))?;
        add_findings(rule, &table, &rows, &mut [checked], lang)?;
    }
    Ok(())
}

/// Applies the settings file's rules to every readable file of `report`.
///
/// # Errors
/// As [`apply_to_checked`].
pub fn apply_to_report(rules: &[CustomRule], report: &mut Report) -> Result<(), String> {
    let lang = report.settings.lang;
    for file in &mut report.files {
        if let Ok(checked) = &mut file.outcome {
            apply_to_checked(rules, checked, lang)?;
        }
    }
    Ok(())
}

fn describe(rule: &CustomRule, path: &Path, error: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("自定义规则 {} 的条件 {:?} 无法在 {} 上求值：{error}", rule.id, rule.when, path.display()),
        Lang::En => format!("custom rule {}: its condition {:?} cannot be evaluated on {}: {error}", rule.id, rule.when, path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_not_clash_with_built_in_rules() {
        assert!(check_id("U001", Lang::En).is_ok());
        assert!(check_id("a001", Lang::En).unwrap_err().contains("A001"));
        assert!(check_id("", Lang::Zh).is_err());
        assert!(check_id("U 1", Lang::Zh).is_err());
    }

    #[test]
    fn interned_ids_are_kept_once() {
        let a = intern("U900");
        let b = intern(&String::from("U900"));
        assert!(std::ptr::eq(a, b));
    }

    #[cfg(feature = "sql")]
    #[test]
    fn sql_conditions_select_rows() {
        use polars::prelude::*;
        let frame = df!("project" => ["宣传费", "其他", "宣传册"], "budget_adjusted" => [120i64, 500, 80]).unwrap();
        assert_eq!(sql::rows_where(&frame, "project LIKE '%宣传%' AND budget_adjusted > 100").unwrap(), vec![0]);
        assert!(sql::rows_where(&frame, "x >").is_err());
    }

    #[test]
    fn a_rules_table_reads_with_defaults() {
        #[derive(Deserialize)]
        struct File {
            rules: Vec<CustomRule>,
        }
        let file: File = toml::from_str("[[rules]]\nid = \"U001\"\nmessage = \"m\"\nwhen = \"budget_adjusted > 100\"\n").unwrap();
        assert_eq!(file.rules[0].severity, Severity::Warning);
        assert_eq!(file.rules[0].on, Target::Projects);
        assert_eq!(file.rules[0].column(), "budget_adjusted");
        assert!(toml::from_str::<File>("[[rules]]\nid = \"U001\"\nmessage = \"m\"\nwhen = \"x\"\ncolour = 1\n").is_err());
    }
}
