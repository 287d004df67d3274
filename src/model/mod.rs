//! The typed model every front end and rule works on: exact figures that remember where they came from,
//! and the rounding model (`interval`) that says what a shown figure may truly be.

pub mod form;
pub mod interval;
pub mod list;

pub use form::*;
pub use list::*;

use std::fmt;
use std::path::PathBuf;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

/// Message language. Chinese is the default: the users are Chinese analysts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the Chinese or the English text.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// A cell position, 0-based inside; shown in A1 style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellRef {
    pub row: u32,
    pub col: u32,
}

impl CellRef {
    pub fn new(row: u32, col: u32) -> Self {
        CellRef { row, col }
    }

    /// The column letters: 0 → A, 25 → Z, 26 → AA.
    pub fn column_letters(col: u32) -> String {
        let mut letters = Vec::new();
        let mut n = col + 1;
        while n > 0 {
            let rem = (n - 1) % 26;
            letters.push(b'A' + rem as u8);
            n = (n - 1) / 26;
        }
        letters.reverse();
        String::from_utf8(letters).unwrap_or_default()
    }
}

impl fmt::Display for CellRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", CellRef::column_letters(self.col), self.row + 1)
    }
}

impl Serialize for CellRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A number as the user sees it: its exact value and the decimals it is shown with.
///
/// The shown decimals decide the rounding interval (FORMATS.md §4): 19.98 shown with 2 decimals
/// stands for any true value in [19.975, 19.985).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figure {
    pub value: Decimal,
    /// Decimals shown; `None` for an exact figure (a dash written for zero).
    pub decimals: Option<u8>,
    pub cell: CellRef,
    /// Written as text rather than stored as a number.
    pub as_text: bool,
    /// Written in 元: `value` is its 万元 equivalent (with four more decimals), and messages show it as
    /// written, in 元.
    pub in_yuan: bool,
}

impl Figure {
    /// `decimals` as a figure keeps them: past 255 no figure shows differently (rust_decimal keeps 28).
    pub fn shown_decimals(decimals: u32) -> Option<u8> {
        Some(u8::try_from(decimals).unwrap_or(u8::MAX))
    }

    /// The decimals shown, as the rounding functions take them.
    pub fn decimals(&self) -> Option<u32> {
        self.decimals.map(u32::from)
    }
}

/// One figure slot of a row, as found in the sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// The table has no such column.
    Absent,
    /// The cell is empty.
    Blank(CellRef),
    /// A number (a dash `—`/`-` is an exact zero).
    Value(Figure),
    /// Something that is not a number (`约300`, `#DIV/0!`), or a number beyond any budget figure
    /// (`beyond_range`, 10^15 or more), which is kept out of every computation.
    Invalid { cell: CellRef, text: Box<str>, beyond_range: bool },
    /// A formula whose file holds no result and which budgetlint could not compute: filled, but
    /// with no figure, so kept out of every computation (S004 names the sheet's such cells once).
    Uncomputed(CellRef),
}

impl Field {
    pub fn figure(&self) -> Option<&Figure> {
        match self {
            Field::Value(figure) => Some(figure),
            _ => None,
        }
    }

    pub fn value(&self) -> Option<Decimal> {
        self.figure().map(|f| f.value)
    }

    pub fn cell(&self) -> Option<CellRef> {
        match self {
            Field::Absent => None,
            Field::Blank(cell) | Field::Invalid { cell, .. } | Field::Uncomputed(cell) => Some(*cell),
            Field::Value(figure) => Some(figure.cell),
        }
    }
}

/// A read workbook: the documents it holds, of every kind and from every unit, and the sheets
/// that held none.
///
/// Documents are kept by kind (the checks of each kind walk their own), and [`Workbook::documents`]
/// gives them as one sequence in sheet order for what treats them alike.
#[derive(Debug, Clone, PartialEq)]
pub struct Workbook {
    pub path: PathBuf,
    pub sheets: Vec<String>,
    /// 附件1 lists and report tables (FORMATS.md §1, §3).
    pub tables: Vec<ListTable>,
    /// Performance forms: 附件2, 执行监控表, 自评表, 申报表 (FORMATS.md §2).
    pub forms: Vec<Form>,
    /// Sheets that are neither (text, detail tables, chart or macro sheets): reported as S003.
    pub skipped: Vec<SkippedSheet>,
    /// Sheets with formulas that could not be computed or whose stored results are stale.
    pub formula_notes: Vec<FormulaNotes>,
}

/// One document of a workbook.
#[derive(Debug, Clone, Copy)]
pub enum Document<'a> {
    List(&'a ListTable),
    Form(&'a Form),
}

impl Document<'_> {
    pub fn sheet(&self) -> &str {
        match self {
            Document::List(table) => &table.sheet,
            Document::Form(form) => &form.sheet,
        }
    }

    pub fn unit(&self) -> &str {
        match self {
            Document::List(table) => &table.unit,
            Document::Form(form) => &form.unit,
        }
    }
}

impl Workbook {
    /// Lists and forms in the order of their sheets (and, within a sheet, of their rows).
    pub fn documents(&self) -> Vec<Document<'_>> {
        let position = |sheet: &str| self.sheets.iter().position(|s| s == sheet).unwrap_or(usize::MAX);
        let mut documents: Vec<(usize, u32, Document<'_>)> = self
            .tables
            .iter()
            .map(|t| (position(&t.sheet), t.header_rows.0, Document::List(t)))
            .chain(self.forms.iter().map(|f| (position(&f.sheet), f.title_cell.row, Document::Form(f))))
            .collect();
        documents.sort_by_key(|(sheet, row, _)| (*sheet, *row));
        documents.into_iter().map(|(_, _, d)| d).collect()
    }

    /// Whether anything in the workbook was recognised (S001 when not).
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.forms.is_empty()
    }
}

/// Why a sheet holds no document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedSheet {
    pub sheet: String,
    pub reason: SkipReason,
}

/// What became of a sheet's formulas (see [`crate::read::formula`]): S004 and S005 report them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormulaNotes {
    pub sheet: String,
    /// Formula cells without a stored result that budgetlint could not compute, in sheet order.
    pub uncomputed: Vec<Uncomputed>,
    /// Formula cells whose stored result is not what their formula gives.
    pub stale: Vec<Stale>,
}

impl FormulaNotes {
    pub fn is_empty(&self) -> bool {
        self.uncomputed.is_empty() && self.stale.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Uncomputed {
    pub row: u32,
    pub col: u32,
    pub formula: String,
    pub why: Why,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stale {
    pub row: u32,
    pub col: u32,
    pub formula: String,
    pub stored: Decimal,
    pub computed: Decimal,
    /// The decimals the cell's number format shows, where it states them (a percent format's count
    /// is of the percentage).
    pub decimals: Option<u32>,
}

/// Why a formula could not be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// A function outside the ones computed here (VLOOKUP, SUBTOTAL …).
    Function(String),
    /// A defined name, a table reference or a sheet the workbook does not have.
    Name(String),
    /// A reference to another workbook.
    External,
    /// Something the parser does not take (array constants, 3-D references, implicit intersection).
    Syntax,
    /// The formula refers, through other cells, to itself.
    Cycle,
    /// A date, whose value as a number the reader does not keep.
    Date,
    /// The workbook's formulas together would take more work than a file may cause.
    TooMuchWork,
}

impl Why {
    pub fn describe(&self, lang: Lang) -> String {
        match self {
            Why::Function(name) => lang.pick(&format!("函数 {name}"), &format!("the function {name}")).to_string(),
            Why::Name(name) => lang.pick(&format!("名称“{name}”"), &format!("the name '{name}'")).to_string(),
            Why::External => lang.pick("对其他工作簿的引用", "a reference to another workbook").to_string(),
            Why::Syntax => lang.pick("不支持的写法", "a form not supported").to_string(),
            Why::Cycle => lang.pick("循环引用", "a circular reference").to_string(),
            Why::Date => lang.pick("日期", "a date").to_string(),
            Why::TooMuchWork => lang.pick("计算量超出上限", "more work than allowed").to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A worksheet with no list and no form on it.
    NeitherListNorForm,
    /// A chart, macro or dialog sheet, or one the reader could not open (the detail says which).
    NotAWorksheet(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_names_cross_the_alphabet() {
        assert_eq!(CellRef::new(0, 0).to_string(), "A1");
        assert_eq!(CellRef::new(4, 25).to_string(), "Z5");
        assert_eq!(CellRef::new(9, 26).to_string(), "AA10");
        assert_eq!(CellRef::new(0, 701).to_string(), "ZZ1");
        assert_eq!(CellRef::new(0, 702).to_string(), "AAA1");
    }
}
