//! A finding: one contradiction or remark, exactly where it is.

use serde::Serialize;

use crate::check::catalog::Severity;
use crate::model::CellRef;
use crate::report::tabular::{Tabular, Values};

/// One result of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub file: String,
    pub sheet: String,
    /// A1 cell the finding is about (absent for a whole-file finding on an empty workbook).
    pub cell: Option<CellRef>,
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The figure as stated.
    pub found: Option<String>,
    /// The figure the recomputation gives.
    pub expected: Option<String>,
    /// The inputs of the recomputation, e.g. `266.47 ÷ 270.00`.
    pub inputs: Option<String>,
    /// The budget unit (预算单位) the finding is about.
    pub unit: Option<String>,
    /// The table's short name (`表6`, or the sheet), or the form's kind (`绩效自评表`).
    pub table: Option<String>,
    /// 0-based index of the form within its workbook, for a finding on a form.
    pub form: Option<usize>,
    /// 1-based sheet row.
    pub row: Option<u32>,
    pub department: Option<String>,
    pub project: Option<String>,
}

/// The findings as columns, in the order CSV, JSON and the frame share.
pub fn findings_table<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Tabular {
    let findings: Vec<&Finding> = findings.into_iter().collect();
    let text = |f: &dyn Fn(&Finding) -> Option<String>| Values::Text(findings.iter().map(|x| f(x)).collect());
    let mut out = Tabular::default();
    out.push("file", text(&|f| Some(f.file.clone())));
    out.push("sheet", text(&|f| Some(f.sheet.clone())));
    out.push("cell", text(&|f| f.cell.map(|c| c.to_string())));
    out.push("rule", text(&|f| Some(f.rule.to_string())));
    out.push("severity", text(&|f| Some(f.severity.as_str().to_string())));
    out.push("message", text(&|f| Some(f.message.clone())));
    out.push("found", text(&|f| f.found.clone()));
    out.push("expected", text(&|f| f.expected.clone()));
    out.push("inputs", text(&|f| f.inputs.clone()));
    out.push("unit", text(&|f| f.unit.clone()));
    out.push("table", text(&|f| f.table.clone()));
    out.push("form", Values::Int(findings.iter().map(|f| f.form.map(|i| i as i64)).collect()));
    out.push("row", Values::Int(findings.iter().map(|f| f.row.map(i64::from)).collect()));
    out.push("department", text(&|f| f.department.clone()));
    out.push("project", text(&|f| f.project.clone()));
    out
}
