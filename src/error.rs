//! The one error type: every variant names the file, and the sheet and cell where there is one.

use std::path::{Path, PathBuf};

use crate::model::CellRef;
use crate::Lang;

/// Everything that can stop budgetlint from reading a workbook or writing a result.
///
/// Messages are Chinese (the `Display` text); [`Error::message`] gives English on request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("找不到文件 {path}")]
    FileNotFound { path: PathBuf },

    #[error("{path} 不是可读取的电子表格（支持 .xlsx .xlsm .xls .ods），或文件已损坏/被截断：{detail}")]
    NotASpreadsheet { path: PathBuf, detail: String },

    #[error("{path} 受密码保护，无法读取：请在 Excel 中取消密码后再检查")]
    PasswordProtected { path: PathBuf },

    #[error("{path} 是空工作簿：没有任何含数据的工作表")]
    EmptyWorkbook { path: PathBuf },

    #[error("{path} 的工作表“{sheet}”无法读取：{detail}")]
    UnreadableSheet { path: PathBuf, sheet: String, detail: String },

    #[error("{path} 中没有找到附件1表头（需要“项目名称”及“调整后预算金额”或“实际支出金额”等列）；已查看工作表：{sheets}")]
    NoTableFound { path: PathBuf, sheets: String },

    #[error("{path} 工作表“{sheet}”单元格 {cell}：{column}“{text}”不是数字")]
    InvalidFigure { path: PathBuf, sheet: String, cell: CellRef, column: String, text: String },

    #[error("配置文件 {path} 有误：{detail}")]
    Config { path: PathBuf, detail: String },

    #[error("参数有误：{0}")]
    Usage(String),

    #[error("无法写入 {path}：{detail}")]
    Write { path: PathBuf, detail: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The message in the requested language.
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => self.to_string(),
            Lang::En => self.english(),
        }
    }

    fn english(&self) -> String {
        match self {
            Error::FileNotFound { path } => format!("file not found: {}", path.display()),
            Error::NotASpreadsheet { path, detail } => format!(
                "{} is not a readable spreadsheet (.xlsx .xlsm .xls .ods), or it is damaged or truncated: {detail}",
                path.display()
            ),
            Error::PasswordProtected { path } => format!(
                "{} is password-protected: remove the password in Excel, then check it again",
                path.display()
            ),
            Error::EmptyWorkbook { path } => format!("{} is an empty workbook: no sheet holds data", path.display()),
            Error::UnreadableSheet { path, sheet, detail } => {
                format!("{}: sheet '{sheet}' cannot be read: {detail}", path.display())
            }
            Error::NoTableFound { path, sheets } => format!(
                "{}: no 附件1 header found (a 项目名称 column and 调整后预算金额 or 实际支出金额 columns are expected); sheets looked at: {sheets}",
                path.display()
            ),
            Error::InvalidFigure { path, sheet, cell, column, text } => format!(
                "{}: sheet '{sheet}', cell {cell}: {column} '{text}' is not a number",
                path.display()
            ),
            Error::Config { path, detail } => format!("configuration {} is invalid: {detail}", path.display()),
            Error::Usage(detail) => format!("invalid arguments: {detail}"),
            Error::Write { path, detail } => format!("cannot write {}: {detail}", path.display()),
        }
    }

    /// The file the error is about, when it is about one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::FileNotFound { path }
            | Error::NotASpreadsheet { path, .. }
            | Error::PasswordProtected { path }
            | Error::EmptyWorkbook { path }
            | Error::UnreadableSheet { path, .. }
            | Error::NoTableFound { path, .. }
            | Error::InvalidFigure { path, .. }
            | Error::Config { path, .. }
            | Error::Write { path, .. } => Some(path),
            Error::Usage(_) => None,
        }
    }

    pub fn sheet(&self) -> Option<&str> {
        match self {
            Error::UnreadableSheet { sheet, .. } | Error::InvalidFigure { sheet, .. } => Some(sheet),
            _ => None,
        }
    }

    pub fn cell(&self) -> Option<CellRef> {
        match self {
            Error::InvalidFigure { cell, .. } => Some(*cell),
            _ => None,
        }
    }

    /// A short stable name for the kind of failure (used for the Python exception class and JSON output).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::FileNotFound { .. } | Error::NotASpreadsheet { .. } | Error::UnreadableSheet { .. } => {
                "UnreadableWorkbook"
            }
            Error::PasswordProtected { .. } => "PasswordProtected",
            Error::EmptyWorkbook { .. } | Error::NoTableFound { .. } => "NoTableFound",
            Error::InvalidFigure { .. } => "InvalidFigure",
            Error::Config { .. } | Error::Usage(_) => "ConfigError",
            Error::Write { .. } => "WriteError",
        }
    }
}
