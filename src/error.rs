//! The one error type: every variant names the file, and the sheet and cell where there is one.

use std::path::{Path, PathBuf};

use crate::model::CellRef;
use crate::read::sniff::FileKind;
use crate::Lang;

/// Everything that can stop budgetlint from reading a workbook or writing a result.
///
/// Messages are Chinese (the `Display` text); [`Error::message`] gives English on request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("找不到文件 {path}")]
    FileNotFound { path: PathBuf },

    /// The file exists but cannot be opened (permissions, a device, …).
    #[error("无法打开 {path}：{detail}")]
    Unopenable { path: PathBuf, detail: String },

    /// What the file really is (from its bytes), what to do, and the reader's own words as a detail line.
    #[error("{}", not_a_spreadsheet(path, *kind, extension, detail, true))]
    NotASpreadsheet { path: PathBuf, kind: FileKind, extension: String, detail: String },

    /// The file would cause more work than the limits allow ([`crate::read::grid::ReadLimits`]).
    #[error("{}", too_large(path, sheet.as_deref(), limit, true))]
    TooLarge { path: PathBuf, sheet: Option<String>, limit: Limit },

    /// A bug met while reading (a reader library panicked): the file is reported, the run goes on.
    #[error("{path}：读取时出现内部错误，请报告此问题（详情：{detail}）")]
    Internal { path: PathBuf, detail: String },

    #[error("{path} 受密码保护，无法读取：请在 Excel 中取消密码后再检查")]
    PasswordProtected { path: PathBuf },

    #[error("{path} 是空工作簿：没有任何含数据的工作表")]
    EmptyWorkbook { path: PathBuf },

    /// No worksheet could be read (the first one that failed is named).
    #[error("{path} 的工作表“{sheet}”无法读取（内容已损坏或格式有误），也没有其他含数据的工作表；请用 Excel 打开（如提示修复，请修复）后另存为 .xlsx 再检查\n    详情：{detail}")]
    UnreadableSheet { path: PathBuf, sheet: String, detail: String },

    #[error(
        "{path} 中没有找到附件1表头（需要“项目名称”及“调整后预算金额”或“实际支出金额”等列）；已查看工作表：{sheets}"
    )]
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
            Error::Unopenable { path, detail } => format!("cannot open {}: {detail}", path.display()),
            Error::NotASpreadsheet { path, kind, extension, detail } => {
                not_a_spreadsheet(path, *kind, extension, detail, false)
            }
            Error::TooLarge { path, sheet, limit } => too_large(path, sheet.as_deref(), limit, false),
            Error::Internal { path, detail } => {
                format!("internal error while reading {}; please report it (detail: {detail})", path.display())
            }
            Error::PasswordProtected { path } => format!(
                "{} is password-protected: remove the password in Excel, then check it again",
                path.display()
            ),
            Error::EmptyWorkbook { path } => format!("{} is an empty workbook: no sheet holds data", path.display()),
            Error::UnreadableSheet { path, sheet, detail } => format!(
                "{}: sheet '{sheet}' cannot be read (it is damaged or malformed) and no other sheet holds data; open it in Excel (let Excel repair it if it offers to), save it as .xlsx, then check it again\n    detail: {detail}",
                path.display()
            ),
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
            | Error::Unopenable { path, .. }
            | Error::NotASpreadsheet { path, .. }
            | Error::TooLarge { path, .. }
            | Error::Internal { path, .. }
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
            Error::TooLarge { sheet, .. } => sheet.as_deref(),
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
            Error::FileNotFound { .. }
            | Error::Unopenable { .. }
            | Error::NotASpreadsheet { .. }
            | Error::UnreadableSheet { .. }
            | Error::TooLarge { .. }
            | Error::Internal { .. } => "UnreadableWorkbook",
            Error::PasswordProtected { .. } => "PasswordProtected",
            Error::EmptyWorkbook { .. } | Error::NoTableFound { .. } => "NoTableFound",
            Error::InvalidFigure { .. } => "InvalidFigure",
            Error::Config { .. } | Error::Usage(_) => "ConfigError",
            Error::Write { .. } => "WriteError",
        }
    }
}

/// Which bound of [`crate::read::grid::ReadLimits`] a file went past, with what it holds or declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Limit {
    /// The uncompressed size of the parts that would be read (zip central directory sizes), or the
    /// size of a file read whole (an .xls's workbook stream, a web page), in bytes.
    Bytes { found: u64, max: u64 },
    /// One zip part alone (the shared strings are held in memory whole), in bytes.
    PartBytes { part: String, found: u64, max: u64 },
    /// The cells one sheet spans (from its first to its last used row and column), or merges.
    SheetCells { found: u64, max: u64 },
    /// The cells all sheets span together.
    WorkbookCells { found: u64, max: u64 },
    /// The cells merged ranges cover on one sheet.
    MergedCells { found: u64, max: u64 },
    /// The cells merged ranges cover on all sheets together.
    WorkbookMergedCells { found: u64, max: u64 },
    /// Sheets in the workbook.
    Sheets { found: u64, max: u64 },
    /// Characters in one cell (Excel's own limit is 32,767).
    CellChars { cell: String, found: u64, max: u64 },
    /// A cell placed beyond Excel's 1,048,576 rows or 16,384 columns.
    Position { row: u64, col: u64 },
    /// Shared strings declared (an .xlsx states the count up front) beyond what the part can hold.
    SharedStrings { declared: u64, max: u64 },
}

/// 1234567 → "1,234,567".
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size as a person reads it: `2,148 MB`; below a megabyte, in bytes (`5,120 字节`), where rounding up
/// to 1 MB would make two different sizes read alike.
fn size(bytes: u64, zh: bool) -> String {
    match (bytes < 1_000_000, zh) {
        (true, true) => format!("{} 字节", grouped(bytes)),
        (true, false) => format!("{} bytes", grouped(bytes)),
        (false, _) => format!("{} MB", grouped(bytes.div_ceil(1_000_000))),
    }
}

impl Limit {
    /// The key of [`crate::read::grid::ReadLimits`] that sets this bound (`[limits]`, `--limit`,
    /// Python's `limits=`); None for Excel's own bounds and a file's inner contradictions, which no
    /// setting moves.
    pub fn setting(&self) -> Option<&'static str> {
        match self {
            Limit::Bytes { .. } | Limit::PartBytes { .. } => Some("max_bytes"),
            Limit::SheetCells { .. } => Some("max_cells_per_sheet"),
            Limit::WorkbookCells { .. } => Some("max_cells_per_workbook"),
            Limit::MergedCells { .. } => Some("max_merged_cells_per_sheet"),
            Limit::WorkbookMergedCells { .. } => Some("max_merged_cells_per_workbook"),
            Limit::Sheets { .. } => Some("max_sheets"),
            Limit::CellChars { .. } => Some("max_cell_chars"),
            Limit::Position { .. } | Limit::SharedStrings { .. } => None,
        }
    }

    /// How to raise the bound, when a setting moves it: a sentence to end the refusal with.
    fn raise_hint(&self, zh: bool) -> String {
        match (self.setting(), zh) {
            (Some(key), true) => format!(
                "；如确需读取，可提高此上限：命令行 --limit {key}=N，或配置文件 budgetlint.toml 的 [limits] 中 {key} = N（Python：limits={{\"{key}\": N}}）"
            ),
            (Some(key), false) => format!(
                ". To read it anyway, raise this limit: --limit {key}=N on the command line, or {key} = N under [limits] in budgetlint.toml (Python: limits={{\"{key}\": N}})"
            ),
            (None, _) => String::new(),
        }
    }

    /// What was found against the bound, in the user's words.
    pub fn describe(&self, zh: bool) -> String {
        match self {
            Limit::Bytes { found, max } => match zh {
                true => format!("解压后的内容约 {}，超过上限 {}", size(*found, zh), size(*max, zh)),
                false => format!("its content is about {} uncompressed, over the limit of {}", size(*found, zh), size(*max, zh)),
            },
            Limit::PartBytes { part, found, max } => match zh {
                true => format!("其中 {part} 解压后约 {}，超过上限 {}", size(*found, zh), size(*max, zh)),
                false => format!("its part {part} is about {} uncompressed, over the limit of {}", size(*found, zh), size(*max, zh)),
            },
            Limit::SheetCells { found, max } => match zh {
                true => format!("工作表范围达 {} 个单元格，超过上限 {} 个", grouped(*found), grouped(*max)),
                false => format!("a sheet spans {} cells, over the limit of {}", grouped(*found), grouped(*max)),
            },
            Limit::WorkbookCells { found, max } => match zh {
                true => format!("各工作表合计达 {} 个单元格，超过上限 {} 个", grouped(*found), grouped(*max)),
                false => {
                    format!("its sheets span {} cells together, over the limit of {}", grouped(*found), grouped(*max))
                }
            },
            Limit::MergedCells { found, max } => match zh {
                true => format!("合并单元格覆盖 {} 个单元格，超过上限 {} 个", grouped(*found), grouped(*max)),
                false => format!("merged ranges cover {} cells, over the limit of {}", grouped(*found), grouped(*max)),
            },
            Limit::WorkbookMergedCells { found, max } => match zh {
                true => format!("各工作表的合并单元格合计覆盖 {} 个单元格，超过上限 {} 个", grouped(*found), grouped(*max)),
                false => format!("merged ranges cover {} cells over all sheets, over the limit of {}", grouped(*found), grouped(*max)),
            },
            Limit::Sheets { found, max } => match zh {
                true => format!("共有 {} 个工作表，超过上限 {} 个", grouped(*found), grouped(*max)),
                false => format!("it holds {} sheets, over the limit of {}", grouped(*found), grouped(*max)),
            },
            Limit::CellChars { cell, found, max } => match zh {
                true => format!(
                    "单元格 {cell} 有 {} 个字符，超过上限 {} 个（Excel 单元格最多 32,767 个字符）",
                    grouped(*found),
                    grouped(*max)
                ),
                false => format!(
                    "cell {cell} holds {} characters, over the limit of {} (an Excel cell holds at most 32,767)",
                    grouped(*found),
                    grouped(*max)
                ),
            },
            Limit::Position { row, col } => match zh {
                true => format!(
                    "有单元格位于第 {} 行第 {} 列，超出 Excel 的范围（1,048,576 行 × 16,384 列）",
                    grouped(row + 1),
                    grouped(col + 1)
                ),
                false => format!(
                    "a cell lies at row {}, column {}, beyond Excel's 1,048,576 rows × 16,384 columns",
                    grouped(row + 1),
                    grouped(col + 1)
                ),
            },
            Limit::SharedStrings { declared, max } => match zh {
                true => {
                    format!("声明了 {} 个共享字符串，超过其内容所能容纳的 {} 个", grouped(*declared), grouped(*max))
                }
                false => format!(
                    "it declares {} shared strings, more than its content can hold ({})",
                    grouped(*declared),
                    grouped(*max)
                ),
            },
        }
    }
}

fn too_large(path: &Path, sheet: Option<&str>, limit: &Limit, zh: bool) -> String {
    let path = path.display();
    let hint = limit.raise_hint(zh);
    match (zh, sheet) {
        (true, Some(sheet)) => format!(
            "{path} 的工作表“{sheet}”超出读取上限，已拒绝读取：{}。正常报表不会这么大，文件可能已损坏或被恶意构造；如确为报表，请删去多余内容或拆分后再检查{hint}",
            limit.describe(true)
        ),
        (true, None) => format!(
            "{path} 超出读取上限，已拒绝读取：{}。正常报表不会这么大，文件可能已损坏或被恶意构造；如确为报表，请删去多余内容或拆分后再检查{hint}",
            limit.describe(true)
        ),
        (false, Some(sheet)) => format!(
            "{path}: sheet '{sheet}' is beyond the reading limits and was refused: {}. No real report is this large; the file may be damaged or crafted. If it is a report, remove what is not needed or split it, then check it again{hint}",
            limit.describe(false)
        ),
        (false, None) => format!(
            "{path} is beyond the reading limits and was refused: {}. No real report is this large; the file may be damaged or crafted. If it is a report, remove what is not needed or split it, then check it again{hint}",
            limit.describe(false)
        ),
    }
}

/// "PATH：这个 .xlsx 文件其实是 PDF 文件，不是电子表格；请提交 Excel 工作簿（.xlsx 或 .xls）" and, on
/// a second line, the reader's own words.
fn not_a_spreadsheet(path: &Path, kind: FileKind, extension: &str, detail: &str, zh: bool) -> String {
    let what = kind.describe_named(extension, zh);
    // A workbook of a kind budgetlint reads, that still could not be read: damaged.
    let (what, advice) = match (kind.is_workbook() || kind.is_web_export(), zh) {
        (true, true) => (
            format!("{what}，但内容已损坏或格式有误，无法读取"),
            "请用 Excel 打开（如提示修复，请修复）后另存为 .xlsx 再检查".to_string(),
        ),
        (true, false) => (
            format!("{what}, but it is damaged or malformed and cannot be read"),
            "open it in Excel (let Excel repair it if it offers to), save it as .xlsx, then check it again".to_string(),
        ),
        (false, _) => (what, kind.advice_named(extension, zh)),
    };
    let mut out = match zh {
        true => format!("{}：{what}；{advice}", path.display()),
        false => format!("{}: {what}; {advice}", path.display()),
    };
    if !detail.is_empty() {
        out.push_str(if zh { "\n    详情：" } else { "\n    detail: " });
        out.push_str(detail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_what_and_why_in_both_languages() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(17_170_432_000), "17,170,432,000");
        let error = Error::TooLarge {
            path: PathBuf::from("报表.xlsx"),
            sheet: None,
            limit: Limit::Bytes { found: 2_147_483_648, max: 500_000_000 },
        };
        assert!(error
            .to_string()
            .starts_with("报表.xlsx 超出读取上限，已拒绝读取：解压后的内容约 2,148 MB，超过上限 500 MB。"));
        assert!(error.message(Lang::En).contains("about 2,148 MB uncompressed, over the limit of 500 MB"));
        let small = Limit::Bytes { found: 5_120, max: 10 };
        assert_eq!(small.describe(true), "解压后的内容约 5,120 字节，超过上限 10 字节", "no two sizes rounded up to 1 MB");
        assert_eq!(error.kind(), "UnreadableWorkbook");
        // Every refusal a setting moves ends by saying how to raise it, in both languages.
        assert!(
            error.to_string().ends_with(
                "请删去多余内容或拆分后再检查；如确需读取，可提高此上限：命令行 --limit max_bytes=N，或配置文件 budgetlint.toml 的 [limits] 中 max_bytes = N（Python：limits={\"max_bytes\": N}）"
            ),
            "{error}"
        );
        assert!(error.message(Lang::En).ends_with(
            "then check it again. To read it anyway, raise this limit: --limit max_bytes=N on the command line, or max_bytes = N under [limits] in budgetlint.toml (Python: limits={\"max_bytes\": N})"
        ));
        let sheet = Error::TooLarge {
            path: PathBuf::from("报表.xlsx"),
            sheet: Some("附件1".into()),
            limit: Limit::SheetCells { found: 11, max: 10 },
        };
        assert!(sheet.to_string().contains("的工作表“附件1”超出读取上限"), "{sheet}");
        assert!(sheet.to_string().contains("--limit max_cells_per_sheet=N"), "{sheet}");
        assert!(sheet.message(Lang::En).contains("--limit max_cells_per_sheet=N"));
        // Excel's own bounds are no setting: no hint.
        let far = Error::TooLarge { path: PathBuf::from("a.xlsx"), sheet: None, limit: Limit::Position { row: 1, col: 20_000 } };
        assert!(!far.to_string().contains("--limit") && !far.message(Lang::En).contains("--limit"), "{far}");
        let keys: Vec<_> = [
            Limit::Bytes { found: 0, max: 0 },
            Limit::SheetCells { found: 0, max: 0 },
            Limit::WorkbookCells { found: 0, max: 0 },
            Limit::MergedCells { found: 0, max: 0 },
            Limit::WorkbookMergedCells { found: 0, max: 0 },
            Limit::Sheets { found: 0, max: 0 },
            Limit::CellChars { cell: "A1".into(), found: 0, max: 0 },
        ]
        .iter()
        .filter_map(Limit::setting)
        .collect();
        assert_eq!(keys, crate::settings::LIMIT_KEYS);
        let error = Error::NotASpreadsheet {
            path: PathBuf::from("a.xlsx"),
            kind: FileKind::Pdf,
            extension: "xlsx".into(),
            detail: String::new(),
        };
        assert_eq!(
            error.to_string(),
            "a.xlsx：这个 .xlsx 文件其实是 PDF 文件，不是电子表格；请提交 Excel 工作簿（.xlsx 或 .xls）"
        );
        let damaged = Error::NotASpreadsheet {
            path: PathBuf::from("a.xlsx"),
            kind: FileKind::Xlsx,
            extension: "xlsx".into(),
            detail: "Zip error: bad".into(),
        };
        assert_eq!(
            damaged.to_string(),
            "a.xlsx：这是 Excel 工作簿（.xlsx），但内容已损坏或格式有误，无法读取；请用 Excel 打开（如提示修复，请修复）后另存为 .xlsx 再检查\n    详情：Zip error: bad"
        );
        assert!(damaged.message(Lang::En).ends_with("\n    detail: Zip error: bad"));
        assert_eq!(damaged.kind(), "UnreadableWorkbook");
    }
}
