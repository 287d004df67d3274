//! Performance forms (FORMATS.md §2): one project each — a key–value head, a fund block and an
//! indicator table. The four kinds in use share these parts, so one model serves them all.

use crate::model::{CellRef, Field, Lang};

/// Which form it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormKind {
    /// 附件2 项目支出绩效跟踪分析表 (Beijing districts).
    Tracking,
    /// 项目支出绩效目标执行监控表 (the national mid-year monitoring form).
    Monitoring,
    /// 项目支出绩效自评表 (the national year-end self-evaluation, scored).
    SelfEvaluation,
    /// 项目支出绩效目标申报表 / 绩效目标表 (targets declared with the budget).
    Declaration,
}

impl FormKind {
    /// The frame value: `tracking`, `monitoring`, `self_evaluation`, `declaration`.
    pub fn as_str(self) -> &'static str {
        match self {
            FormKind::Tracking => "tracking",
            FormKind::Monitoring => "monitoring",
            FormKind::SelfEvaluation => "self_evaluation",
            FormKind::Declaration => "declaration",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            FormKind::Tracking => lang.pick("绩效跟踪分析表", "tracking analysis form"),
            FormKind::Monitoring => lang.pick("执行监控表", "monitoring form"),
            FormKind::SelfEvaluation => lang.pick("绩效自评表", "self-evaluation form"),
            FormKind::Declaration => lang.pick("绩效目标申报表", "target declaration form"),
        }
    }

    /// Whether its indicators state what was achieved (a 申报表 states targets only).
    pub fn has_actuals(self) -> bool {
        self != FormKind::Declaration
    }
}

/// A text written in a form, with its cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub text: String,
    pub cell: CellRef,
}

/// Which half of a 申报表 a line or indicator belongs to; every other form has the annual one only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Half {
    Annual,
    MidTerm,
}

impl Half {
    pub fn as_str(self) -> &'static str {
        match self {
            Half::Annual => "annual",
            Half::MidTerm => "midterm",
        }
    }
}

/// One line of a fund block: 年度资金总额 (or 中期资金总额), or one of its 其中 parts.
#[derive(Debug, Clone, PartialEq)]
pub struct FundLine {
    pub label: String,
    /// 0-based sheet row.
    pub row: u32,
    /// 年度资金总额 / 中期资金总额 rather than a part of it.
    pub is_total: bool,
    pub half: Half,
    /// 年初预算数 (a 申报表's one amount is here too).
    pub initial: Field,
    /// 调整后预算数 / 全年预算数.
    pub adjusted: Field,
    /// 实际支出数 / 全年执行数 / 1-N月执行数.
    pub actual: Field,
    /// In percent units, as lists hold them.
    pub ratio: Field,
    /// 全年预计执行数 (执行监控表).
    pub projected: Field,
    pub score_max: Field,
    pub score: Field,
    /// 偏差原因 written on the line (附件2).
    pub reason: Option<String>,
}

/// Which columns a fund block has: they decide what a ratio is computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FundColumns {
    pub adjusted: bool,
    pub reason: bool,
    pub score: bool,
    /// The period of a monitoring form's 执行数 (`1-7月`).
    pub period: Option<String>,
}

/// One row of the indicator table, with merged 一级/二级 cells filled down.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// 0-based sheet row.
    pub row: u32,
    pub half: Half,
    pub level1: Option<String>,
    pub level2: Option<String>,
    pub level3: Option<String>,
    /// 年度指标值 / 指标值, as written.
    pub target: Option<String>,
    pub target_cell: CellRef,
    /// 实际完成值, or a monitoring form's 1-N月执行数, as written.
    pub actual: Option<String>,
    pub actual_cell: Option<CellRef>,
    /// 全年预计执行数 (执行监控表).
    pub projected: Option<String>,
    pub projected_cell: Option<CellRef>,
    pub score_max: Field,
    pub score: Field,
    /// 偏差原因分析 (and 改进措施 / 原因说明) text.
    pub cause: Option<String>,
    /// Causes ticked in a monitoring form's tick-box columns (经费保障 …).
    pub ticked_causes: Vec<String>,
}

impl Indicator {
    /// What the target is compared with: the year's projection where the form has one (a mid-year
    /// figure is not yet the year's), else the actual.
    pub fn compared_actual(&self) -> (Option<&str>, Option<CellRef>) {
        match self.projected_cell {
            Some(cell) => (self.projected.as_deref(), Some(cell)),
            None => (self.actual.as_deref(), self.actual_cell),
        }
    }

    pub fn has_cause(&self) -> bool {
        self.cause.as_deref().is_some_and(|c| !c.trim().is_empty()) || !self.ticked_causes.is_empty()
    }
}

/// The 总分 row of a scored form.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreTotal {
    pub row: u32,
    pub score_max: Field,
    pub score: Field,
}

/// One form, wherever it stands (one per sheet, or stacked on one).
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub sheet: String,
    /// 0-based index of the form within the workbook.
    pub index: usize,
    pub kind: FormKind,
    pub title: String,
    pub title_cell: CellRef,
    /// The year of its second line (`( 2019年度)`), if stated.
    pub year: Option<i32>,
    pub project: Option<Written>,
    /// 主管部门 (a national form writes its code too: `[105]教育部`).
    pub department: Option<Written>,
    /// 实施单位.
    pub implementer: Option<Written>,
    /// The budget unit the form belongs to, for reconciliation (FORMATS.md §1.1).
    pub unit: String,
    pub fund: Vec<FundLine>,
    pub fund_columns: FundColumns,
    pub indicators: Vec<Indicator>,
    /// 0-based sheet row of the indicator table's header, where the form has one (with or without rows).
    pub indicator_header_row: Option<u32>,
    pub total: Option<ScoreTotal>,
    /// 0-based sheet rows the form spans, first to last + 1.
    pub rows: (u32, u32),
}

impl Form {
    pub fn project_name(&self) -> Option<&str> {
        self.project.as_ref().map(|p| p.text.as_str())
    }

    /// The 年度资金总额 line (of the annual half).
    pub fn fund_total(&self) -> Option<&FundLine> {
        self.fund.iter().find(|l| l.is_total && l.half == Half::Annual)
    }

    /// The budget a line's execution is measured against: its 调整后/全年预算数 where the block has
    /// that column, else its 年初预算数 (as a monitoring form's 1-N月执行率 is).
    pub fn execution_budget<'l>(&self, line: &'l FundLine) -> &'l Field {
        if self.fund_columns.adjusted { &line.adjusted } else { &line.initial }
    }

    /// A short name for messages and the findings' `table` column.
    pub fn label(&self, lang: Lang) -> String {
        self.kind.label(lang).to_string()
    }

    /// Whether `unit` (a list's) is this form's: its 主管部门 or its 实施单位.
    pub fn names_unit(&self, unit: &str, same: impl Fn(&str, &str) -> bool) -> bool {
        [&self.department, &self.implementer].into_iter().flatten().any(|w| same(&w.text, unit)) || same(&self.unit, unit)
    }
}
