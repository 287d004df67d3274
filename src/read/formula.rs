//! Formulas as Excel would compute them, for the cells whose file holds no result.
//!
//! Scripts (openpyxl) and some web systems write a formula without its result, which Excel
//! computes on opening. budgetlint computes what it can compute exactly — arithmetic,
//! comparisons, `&`, SUM, ROUND, IF and their kin over cells and ranges of the workbook — in
//! decimals, and names the rest instead of guessing. A formula that has a stored result keeps it;
//! where the result computed from the cells differs beyond what the cell shows, the workbook was
//! changed without being recalculated, and that is noted.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::model::{FormulaNotes, Stale, Uncomputed, Why};
use crate::read::grid::{Grid, NumberFormat, Value};
use crate::read::text::decimal_from_f64;

/// Cells read and formulas evaluated, over a whole workbook, before the rest is left uncomputed:
/// a formula summing a million cells, filled down a million rows, must not hang the reader.
const MAX_WORK: u64 = 50_000_000;

/// Formulas nested deeper than this (Excel allows 64 levels) are not parsed.
const MAX_DEPTH: u32 = 128;

/// Computes the formula cells of `grids` from their layouts' formula texts: a cell without a
/// stored result takes the computed one (or [`Value::Formula`] when it cannot be computed), a
/// stored result that differs from the computed one is noted; each grid gets its [`FormulaNotes`].
pub fn settle(grids: &mut [Grid]) {
    settle_within(grids, MAX_WORK);
}

fn settle_within(grids: &mut [Grid], max_work: u64) {
    if grids.iter().all(|g| g.layout.formulas.is_empty() && g.layout.shared_formulas.is_empty()) {
        return;
    }
    let outcomes = {
        let mut book = Book::new(grids, max_work);
        book.compute_all();
        book.outcomes()
    };
    for (grid, outcome) in grids.iter_mut().zip(outcomes) {
        for (row, col, value) in outcome.values {
            grid.set_value(row, col, value);
        }
        grid.formula_notes = outcome.notes;
    }
}

struct SheetOutcome {
    values: Vec<(u32, u32, Value)>,
    notes: FormulaNotes,
}

// ---------------------------------------------------------------------------------------------
// Values

/// A value while computing.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Num(Decimal),
    Text(String),
    Bool(bool),
    Empty,
    /// An Excel error value (`#DIV/0!`), which formulas pass on.
    Error(&'static str),
    /// What budgetlint cannot compute, and why.
    Unknown(Why),
}

const ERRORS: &[&str] = &["#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"];

fn error_value(text: &str) -> &'static str {
    ERRORS.iter().find(|e| e.eq_ignore_ascii_case(text.trim())).copied().unwrap_or("#VALUE!")
}

impl V {
    fn of_cell(value: &Value) -> V {
        match value {
            Value::Empty => V::Empty,
            Value::Number(n) => decimal_from_f64(*n).map_or(V::Error("#NUM!"), |(d, _)| V::Num(d)),
            Value::Text(t) => V::Text(t.to_string()),
            Value::Bool(b) => V::Bool(*b),
            Value::Error(e) => V::Error(error_value(e)),
            Value::Date(_) => V::Unknown(Why::Date),
            Value::Formula(_) => V::Unknown(Why::Syntax),
        }
    }

    /// The value as a number, as arithmetic takes it: blank is 0, TRUE is 1, text that reads as a
    /// number is that number.
    fn number(self) -> Result<Decimal, V> {
        match self {
            V::Num(n) => Ok(n),
            V::Empty => Ok(Decimal::ZERO),
            V::Bool(b) => Ok(Decimal::from(u8::from(b))),
            V::Text(t) => number_in_text(&t).ok_or(V::Error("#VALUE!")),
            other => Err(other),
        }
    }

    fn text(self) -> Result<String, V> {
        match self {
            V::Num(n) => Ok(n.normalize().to_string()),
            V::Text(t) => Ok(t),
            V::Bool(b) => Ok(if b { "TRUE" } else { "FALSE" }.into()),
            V::Empty => Ok(String::new()),
            other => Err(other),
        }
    }

    fn truth(self) -> Result<bool, V> {
        match self {
            V::Bool(b) => Ok(b),
            V::Num(n) => Ok(!n.is_zero()),
            V::Empty => Ok(false),
            V::Text(t) if t.eq_ignore_ascii_case("TRUE") => Ok(true),
            V::Text(t) if t.eq_ignore_ascii_case("FALSE") => Ok(false),
            V::Text(_) => Err(V::Error("#VALUE!")),
            other => Err(other),
        }
    }

    fn is_failure(&self) -> bool {
        matches!(self, V::Error(_) | V::Unknown(_))
    }
}

/// `"1,234.5"`, `" 12 "`, `"50%"` as Excel reads text in arithmetic.
fn number_in_text(text: &str) -> Option<Decimal> {
    let cleaned: String = text.trim().chars().filter(|c| *c != ',').collect();
    let (digits, percent) = match cleaned.strip_suffix('%') {
        Some(rest) => (rest, true),
        None => (cleaned.as_str(), false),
    };
    let value = Decimal::from_str(digits).or_else(|_| Decimal::from_scientific(digits)).ok()?;
    Some(if percent { value / Decimal::ONE_HUNDRED } else { value })
}

// ---------------------------------------------------------------------------------------------
// Parsing

#[derive(Debug, Clone, Copy, PartialEq)]
struct Corner {
    row: u32,
    col: u32,
    row_absolute: bool,
    col_absolute: bool,
}

/// A cell or a rectangle of cells on one sheet.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Area {
    sheet: usize,
    first: Corner,
    last: Corner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Sum,
    Round,
    RoundUp,
    RoundDown,
    Int,
    Abs,
    Min,
    Max,
    Average,
    Count,
    If,
    IfError,
    And,
    Or,
    Not,
}

impl Func {
    fn named(name: &str) -> Option<Func> {
        let name = name.to_ascii_uppercase();
        let name = name.trim_start_matches("_XLFN.").trim_start_matches("_XLWS.");
        Some(match name {
            "SUM" => Func::Sum,
            "ROUND" => Func::Round,
            "ROUNDUP" => Func::RoundUp,
            "ROUNDDOWN" => Func::RoundDown,
            "INT" => Func::Int,
            "ABS" => Func::Abs,
            "MIN" => Func::Min,
            "MAX" => Func::Max,
            "AVERAGE" => Func::Average,
            "COUNT" => Func::Count,
            "IF" => Func::If,
            "IFERROR" => Func::IfError,
            "AND" => Func::And,
            "OR" => Func::Or,
            "NOT" => Func::Not,
            _ => return None,
        })
    }

    /// How many arguments it takes.
    fn arity(self) -> std::ops::RangeInclusive<usize> {
        match self {
            Func::Round | Func::RoundUp | Func::RoundDown | Func::IfError => 2..=2,
            Func::Int | Func::Abs | Func::Not => 1..=1,
            Func::If => 2..=3,
            _ => 1..=255,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Literal(V),
    Reference(Area),
    Negate(Box<Expr>),
    Percent(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(Decimal),
    Text(String),
    Bool(bool),
    Error(&'static str),
    Reference(Area),
    Function(Func),
    Op(Op),
    Percent,
    Open,
    Close,
    Comma,
}

/// Turns a formula's text (without `=`) into tokens; `sheet_index` resolves sheet names.
fn tokens(formula: &str, this_sheet: usize, sheet_index: &dyn Fn(&str) -> Option<usize>) -> Result<Vec<Token>, Why> {
    let chars: Vec<char> = formula.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            _ if c.is_whitespace() => i += 1,
            '0'..='9' | '.' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                if i < chars.len() && matches!(chars[i], 'e' | 'E') {
                    let mark = i;
                    i += 1;
                    if i < chars.len() && matches!(chars[i], '+' | '-') {
                        i += 1;
                    }
                    if i < chars.len() && chars[i].is_ascii_digit() {
                        while i < chars.len() && chars[i].is_ascii_digit() {
                            i += 1;
                        }
                    } else {
                        i = mark;
                    }
                }
                let text: String = chars[start..i].iter().collect();
                let value = Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).map_err(|_| Why::Syntax)?;
                out.push(Token::Number(value));
            }
            '"' => {
                let (text, next) = quoted(&chars, i)?;
                out.push(Token::Text(text));
                i = next;
            }
            '#' => {
                let rest: String = chars[i..].iter().take(8).collect::<String>().to_ascii_uppercase();
                let error = ERRORS.iter().find(|e| rest.starts_with(*e)).ok_or(Why::Syntax)?;
                i += error.chars().count();
                out.push(Token::Error(error));
            }
            '\'' => {
                // A quoted sheet name: `'项目 汇总'!D5`.
                let (name, next) = quoted(&chars, i)?;
                i = next;
                if chars.get(i) != Some(&'!') {
                    return Err(Why::Syntax);
                }
                i += 1;
                let sheet = sheet_of(&name, sheet_index)?;
                let (area, next) = area_at(&chars, i, sheet)?;
                out.push(Token::Reference(area));
                i = next;
            }
            '[' => return Err(Why::External),
            '{' | '@' => return Err(Why::Syntax),
            '+' | '-' | '*' | '/' | '^' | '&' | '=' => {
                out.push(Token::Op(match c {
                    '+' => Op::Add,
                    '-' => Op::Sub,
                    '*' => Op::Mul,
                    '/' => Op::Div,
                    '^' => Op::Pow,
                    '&' => Op::Concat,
                    _ => Op::Eq,
                }));
                i += 1;
            }
            '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let (op, width) = match (c, next) {
                    ('<', Some('=')) => (Op::Le, 2),
                    ('<', Some('>')) => (Op::Ne, 2),
                    ('>', Some('=')) => (Op::Ge, 2),
                    ('<', _) => (Op::Lt, 1),
                    _ => (Op::Gt, 1),
                };
                out.push(Token::Op(op));
                i += width;
            }
            '%' | '(' | ')' | ',' => {
                out.push(match c {
                    '%' => Token::Percent,
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Comma,
                });
                i += 1;
            }
            _ if is_word_char(c) => {
                let start = i;
                while i < chars.len() && is_word_char(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let after = chars[i..].iter().position(|c| !c.is_whitespace()).map(|p| chars[i + p]);
                if chars.get(i) == Some(&'!') {
                    let sheet = sheet_of(&word, sheet_index)?;
                    let (area, next) = area_at(&chars, i + 1, sheet)?;
                    out.push(Token::Reference(area));
                    i = next;
                } else if after == Some('(') {
                    out.push(Token::Function(Func::named(&word).ok_or_else(|| Why::Function(word.to_ascii_uppercase()))?));
                } else if word.eq_ignore_ascii_case("TRUE") || word.eq_ignore_ascii_case("FALSE") {
                    out.push(Token::Bool(word.eq_ignore_ascii_case("TRUE")));
                } else {
                    let (area, next) = area_at(&chars, start, this_sheet).map_err(|_| Why::Name(word.clone()))?;
                    out.push(Token::Reference(area));
                    i = next;
                }
            }
            _ => return Err(Why::Syntax),
        }
    }
    Ok(out)
}

/// The text quoted from `start` (a `"` or `'`, doubled inside for itself) and the index after it.
fn quoted(chars: &[char], start: usize) -> Result<(String, usize), Why> {
    let quote = chars[start];
    let mut text = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return Err(Why::Syntax),
            Some(c) if *c == quote && chars.get(i + 1) == Some(&quote) => {
                text.push(quote);
                i += 2;
            }
            Some(c) if *c == quote => return Ok((text, i + 1)),
            Some(other) => {
                text.push(*other);
                i += 1;
            }
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '$' | '\\')
}

fn sheet_of(name: &str, sheet_index: &dyn Fn(&str) -> Option<usize>) -> Result<usize, Why> {
    if name.contains(':') {
        return Err(Why::Syntax);
    }
    sheet_index(name).ok_or_else(|| Why::Name(name.to_string()))
}

/// A cell (`$D$5`), a range (`D2:D9`) or whole columns (`D:E`) starting at `start`; the index after it.
fn area_at(chars: &[char], start: usize, sheet: usize) -> Result<(Area, usize), Why> {
    let word_end = |from: usize| (from..chars.len()).find(|&j| !(chars[j].is_ascii_alphanumeric() || chars[j] == '$')).unwrap_or(chars.len());
    let end = word_end(start);
    let first: String = chars[start..end].iter().collect();
    let second = (chars.get(end) == Some(&':')).then(|| {
        let second_end = word_end(end + 1);
        (chars[end + 1..second_end].iter().collect::<String>(), second_end)
    });
    match second {
        Some((second, next)) => {
            if let (Some(a), Some(b)) = (corner(&first), corner(&second)) {
                return Ok((Area { sheet, first: a, last: b }, next));
            }
            let (a, b) = (column(&first).ok_or(Why::Syntax)?, column(&second).ok_or(Why::Syntax)?);
            let whole = |col: (u32, bool), row: u32| Corner { row, col: col.0, row_absolute: true, col_absolute: col.1 };
            Ok((Area { sheet, first: whole(a, 0), last: whole(b, EXCEL_LAST_ROW) }, next))
        }
        None => {
            let cell = corner(&first).ok_or(Why::Syntax)?;
            Ok((Area { sheet, first: cell, last: cell }, end))
        }
    }
}

const EXCEL_LAST_ROW: u32 = (1 << 20) - 1;
const EXCEL_LAST_COLUMN: u32 = (1 << 14) - 1;

/// `$D$5` → row 4, column 3, both absolute.
fn corner(text: &str) -> Option<Corner> {
    let col_absolute = text.starts_with('$');
    let rest = text.trim_start_matches('$');
    let letters = rest.find(|c: char| !c.is_ascii_alphabetic())?;
    let (col_text, rest) = rest.split_at(letters);
    let row_absolute = rest.starts_with('$');
    let digits = rest.trim_start_matches('$');
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (col, _) = column(col_text)?;
    let row: u32 = digits.parse().ok()?;
    (1..=EXCEL_LAST_ROW + 1).contains(&row).then(|| Corner { row: row - 1, col, row_absolute, col_absolute })
}

/// `$D` → (3, absolute).
fn column(text: &str) -> Option<(u32, bool)> {
    let absolute = text.starts_with('$');
    let letters = text.trim_start_matches('$');
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let col = letters.bytes().fold(0u32, |acc, b| acc * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1));
    (col <= EXCEL_LAST_COLUMN + 1).then_some((col - 1, absolute))
}

/// Precedence climbing over Excel's operators: comparison < `&` < `+ -` < `* /` < `^` < `%` < negation.
struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: u32,
}

fn parse(formula: &str, this_sheet: usize, sheet_index: &dyn Fn(&str) -> Option<usize>) -> Result<Expr, Why> {
    let mut parser = Parser { tokens: tokens(formula, this_sheet, sheet_index)?, at: 0, depth: 0 };
    let expr = parser.expression(0)?;
    match parser.at == parser.tokens.len() {
        true => Ok(expr),
        false => Err(Why::Syntax),
    }
}

fn precedence(op: Op) -> u8 {
    match op {
        Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => 1,
        Op::Concat => 2,
        Op::Add | Op::Sub => 3,
        Op::Mul | Op::Div => 4,
        Op::Pow => 5,
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn expression(&mut self, min: u8) -> Result<Expr, Why> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Why::Syntax);
        }
        let mut left = self.unary()?;
        while let Some(Token::Op(op)) = self.peek().cloned() {
            let level = precedence(op);
            if level <= min {
                break;
            }
            self.at += 1;
            // Every operator is left-associative in Excel, `^` included.
            let right = self.expression(level)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, Why> {
        let mut negate = false;
        while let Some(Token::Op(op @ (Op::Add | Op::Sub))) = self.peek().cloned() {
            negate ^= op == Op::Sub;
            self.at += 1;
        }
        let mut expr = self.primary()?;
        if negate {
            expr = Expr::Negate(Box::new(expr));
        }
        while self.peek() == Some(&Token::Percent) {
            self.at += 1;
            expr = Expr::Percent(Box::new(expr));
        }
        Ok(expr)
    }

    fn primary(&mut self) -> Result<Expr, Why> {
        match self.next().ok_or(Why::Syntax)? {
            Token::Number(n) => Ok(Expr::Literal(V::Num(n))),
            Token::Text(t) => Ok(Expr::Literal(V::Text(t))),
            Token::Bool(b) => Ok(Expr::Literal(V::Bool(b))),
            Token::Error(e) => Ok(Expr::Literal(V::Error(e))),
            Token::Reference(area) => Ok(Expr::Reference(area)),
            Token::Open => {
                let inner = self.expression(0)?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err(Why::Syntax),
                }
            }
            Token::Function(func) => self.call(func),
            _ => Err(Why::Syntax),
        }
    }

    fn call(&mut self, func: Func) -> Result<Expr, Why> {
        if self.next() != Some(Token::Open) {
            return Err(Why::Syntax);
        }
        let mut args = Vec::new();
        if self.peek() == Some(&Token::Close) {
            self.at += 1;
        } else {
            loop {
                // An argument left out (`ROUND(A1,)`) is blank.
                let arg = match self.peek() {
                    Some(Token::Comma | Token::Close) => Expr::Literal(V::Empty),
                    _ => self.expression(0)?,
                };
                args.push(arg);
                match self.next() {
                    Some(Token::Comma) => continue,
                    Some(Token::Close) => break,
                    _ => return Err(Why::Syntax),
                }
            }
        }
        match func.arity().contains(&args.len()) {
            true => Ok(Expr::Call(func, args)),
            false => Err(Why::Syntax),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Computing

type Key = (usize, u32, u32);

/// A formula cell: where its parsed formula is, and how far this cell is from the cell that
/// states it (a shared formula shifts its relative references).
#[derive(Clone, Copy)]
struct FormulaAt {
    master: Key,
    shift: (i64, i64),
}

struct Book<'g> {
    grids: &'g [Grid],
    formulas: HashMap<Key, FormulaAt>,
    parsed: HashMap<Key, Result<Expr, Why>>,
    results: HashMap<Key, V>,
    /// Rows and columns each sheet spans, formula cells included: ranges end there.
    extents: Vec<(u32, u32)>,
    work: u64,
    max_work: u64,
}

impl<'g> Book<'g> {
    fn new(grids: &'g [Grid], max_work: u64) -> Book<'g> {
        let names: HashMap<String, usize> = grids.iter().enumerate().map(|(i, g)| (g.name.to_lowercase(), i)).collect();
        let sheet_index = |name: &str| names.get(&name.to_lowercase()).copied();
        let mut formulas = HashMap::new();
        let mut parsed = HashMap::new();
        for (sheet, grid) in grids.iter().enumerate() {
            for (&(row, col), text) in &grid.layout.formulas {
                formulas.insert((sheet, row, col), FormulaAt { master: (sheet, row, col), shift: (0, 0) });
                parsed.insert((sheet, row, col), parse(text, sheet, &sheet_index));
            }
            for (&(row, col), &(master_row, master_col)) in &grid.layout.shared_formulas {
                if grid.layout.formulas.contains_key(&(master_row, master_col)) {
                    let shift = (i64::from(row) - i64::from(master_row), i64::from(col) - i64::from(master_col));
                    formulas.insert((sheet, row, col), FormulaAt { master: (sheet, master_row, master_col), shift });
                }
            }
        }
        let mut extents: Vec<(u32, u32)> = grids.iter().map(|g| (g.height(), g.max_width())).collect();
        for &(sheet, row, col) in formulas.keys() {
            let extent = &mut extents[sheet];
            *extent = (extent.0.max(row + 1), extent.1.max(col + 1));
        }
        Book { grids, formulas, parsed, results: HashMap::new(), extents, work: 0, max_work }
    }

    /// Every formula cell, in sheet order; each cell's inputs before it.
    fn compute_all(&mut self) {
        let mut keys: Vec<Key> = self.formulas.keys().copied().collect();
        keys.sort_unstable();
        for key in keys {
            if !self.results.contains_key(&key) {
                self.resolve(key);
            }
        }
    }

    /// Computes `start`, first computing the formula cells it reads (found by trying: a try that
    /// meets formula cells not yet computed names them all, they are computed, and it tries again).
    /// The stack is explicit: a running balance down a hundred thousand rows is that deep.
    fn resolve(&mut self, start: Key) {
        let mut stack = vec![start];
        let mut on_stack: HashSet<Key> = HashSet::from([start]);
        let mut missing = Vec::new();
        while let Some(&key) = stack.last() {
            missing.clear();
            let value = match self.work > self.max_work {
                true => V::Unknown(Why::TooMuchWork),
                false => self.compute(key, &mut missing),
            };
            let value = match missing.iter().any(|m| on_stack.contains(m)) {
                true => V::Unknown(Why::Cycle),
                false => {
                    let before = stack.len();
                    for m in missing.drain(..) {
                        if !self.results.contains_key(&m) && on_stack.insert(m) {
                            stack.push(m);
                        }
                    }
                    if stack.len() > before {
                        continue;
                    }
                    value
                }
            };
            self.results.insert(key, value);
            stack.pop();
            on_stack.remove(&key);
        }
    }

    fn compute(&mut self, key: Key, missing: &mut Vec<Key>) -> V {
        self.work += 1;
        let Some(at) = self.formulas.get(&key).copied() else { return V::Empty };
        let expr = match self.parsed.get(&at.master) {
            Some(Ok(expr)) => expr,
            Some(Err(why)) => return V::Unknown(why.clone()),
            None => return V::Unknown(Why::Syntax),
        };
        let context = Context { book: self, shift: at.shift };
        let mut work = 0;
        let value = context.scalar(expr, missing, &mut work);
        self.work += work;
        // A formula giving a blank cell (`=D5` of an empty D5) shows 0.
        match value {
            V::Empty => V::Num(Decimal::ZERO),
            other => other,
        }
    }

    fn outcomes(&self) -> Vec<SheetOutcome> {
        let mut by_sheet: Vec<Vec<(u32, u32)>> = vec![Vec::new(); self.grids.len()];
        for &(sheet, row, col) in self.formulas.keys() {
            by_sheet[sheet].push((row, col));
        }
        self.grids.iter().zip(by_sheet).enumerate().map(|(sheet, (grid, cells))| self.outcome(sheet, grid, cells)).collect()
    }

    fn outcome(&self, sheet: usize, grid: &Grid, mut cells: Vec<(u32, u32)>) -> SheetOutcome {
        let uncached: HashSet<(u32, u32)> = grid.layout.uncached_formulas.iter().copied().collect();
        let mut values = Vec::new();
        let mut notes = FormulaNotes { sheet: grid.name.clone(), ..FormulaNotes::default() };
        cells.sort_unstable();
        for (row, col) in cells {
            let Some(value) = self.results.get(&(sheet, row, col)) else { continue };
            let formula = || self.text_of((sheet, row, col));
            if uncached.contains(&(row, col)) {
                let cell_value = match value {
                    V::Num(n) => Value::Number(f64_of(*n)),
                    V::Text(t) => Value::Text(t.as_str().into()),
                    V::Bool(b) => Value::Bool(*b),
                    V::Empty => Value::Number(0.0),
                    V::Error(e) => Value::Error((*e).into()),
                    V::Unknown(why) => {
                        notes.uncomputed.push(Uncomputed { row, col, formula: formula(), why: why.clone() });
                        Value::Formula(formula().into())
                    }
                };
                values.push((row, col, cell_value));
            } else if let (V::Num(computed), Value::Number(stored)) = (value, &grid.cell(row, col).value) {
                let Some((stored, _)) = decimal_from_f64(*stored) else { continue };
                let format = grid.cell(row, col).format;
                if differs_beyond_shown(stored, *computed, format) {
                    let decimals = format.filter(|f| !f.percent).map(|f| u32::from(f.decimals));
                    notes.stale.push(Stale { row, col, formula: formula(), stored, computed: *computed, decimals });
                }
            }
        }
        SheetOutcome { values, notes }
    }

    /// The formula of a cell as the user would see it (a shared formula's follower shows the master's text).
    fn text_of(&self, key: Key) -> String {
        let master = self.formulas.get(&key).map_or(key, |at| at.master);
        self.grids[master.0].layout.formulas.get(&(master.1, master.2)).cloned().unwrap_or_default()
    }
}

/// A number for the grid: through its shortest text, so that a decimal of up to 15 digits comes
/// back from the grid as the very same decimal.
fn f64_of(value: Decimal) -> f64 {
    value.normalize().to_string().parse().unwrap_or(f64::NAN)
}

/// Whether a stored result and the computed one differ by more than the cell shows: half a unit
/// of its last shown decimal, or (General) beyond Excel's 15 significant digits.
fn differs_beyond_shown(stored: Decimal, computed: Decimal, format: Option<NumberFormat>) -> bool {
    let difference = (stored - computed).abs();
    match format {
        Some(format) => {
            let decimals = u32::from(format.decimals) + if format.percent { 2 } else { 0 };
            let half_unit = Decimal::new(5, decimals.min(27) + 1);
            difference > half_unit
        }
        None => {
            let scale = stored.abs().max(computed.abs()).max(Decimal::ONE);
            difference > scale * Decimal::new(1, 12)
        }
    }
}

/// Computing one formula at one cell.
struct Context<'b, 'g> {
    book: &'b Book<'g>,
    shift: (i64, i64),
}

impl Context<'_, '_> {
    /// The cells of an area at this cell, within the grid (a whole column ends at the last row).
    fn cells(&self, area: &Area) -> Result<(usize, u32, u32, u32, u32), V> {
        let at = |corner: &Corner| -> Option<(u32, u32)> {
            let row = if corner.row_absolute { i64::from(corner.row) } else { i64::from(corner.row) + self.shift.0 };
            let col = if corner.col_absolute { i64::from(corner.col) } else { i64::from(corner.col) + self.shift.1 };
            Some((u32::try_from(row).ok().filter(|r| *r <= EXCEL_LAST_ROW)?, u32::try_from(col).ok().filter(|c| *c <= EXCEL_LAST_COLUMN)?))
        };
        let (Some(a), Some(b)) = (at(&area.first), at(&area.last)) else { return Err(V::Error("#REF!")) };
        if area.first == area.last {
            return Ok((area.sheet, a.0, a.0, a.1, a.1));
        }
        let (height, width) = self.book.extents[area.sheet];
        let (top, bottom) = (a.0.min(b.0), a.0.max(b.0).min(height.saturating_sub(1)));
        let (left, right) = (a.1.min(b.1), a.1.max(b.1).min(width.saturating_sub(1)));
        Ok((area.sheet, top, bottom, left, right))
    }

    fn cell(&self, key: Key, missing: &mut Vec<Key>) -> V {
        if self.book.formulas.contains_key(&key) {
            return match self.book.results.get(&key) {
                Some(value) => value.clone(),
                None => {
                    missing.push(key);
                    V::Empty
                }
            };
        }
        V::of_cell(&self.book.grids[key.0].cell(key.1, key.2).value)
    }

    /// A value where one value is wanted: a one-cell area is its cell.
    fn scalar(&self, expr: &Expr, missing: &mut Vec<Key>, work: &mut u64) -> V {
        match expr {
            Expr::Literal(v) => v.clone(),
            Expr::Reference(area) => {
                let (sheet, top, _, left, _) = match self.cells(area) {
                    Ok(bounds) => bounds,
                    Err(error) => return error,
                };
                match area.first == area.last {
                    true => self.cell((sheet, top, left), missing),
                    // Implicit intersection of a range with the formula's row or column.
                    false => V::Unknown(Why::Syntax),
                }
            }
            Expr::Negate(inner) => match self.scalar(inner, missing, work).number() {
                Ok(n) => V::Num(-n),
                Err(e) => e,
            },
            Expr::Percent(inner) => match self.scalar(inner, missing, work).number() {
                Ok(n) => V::Num(n / Decimal::ONE_HUNDRED),
                Err(e) => e,
            },
            Expr::Binary(op, left, right) => {
                let left = self.scalar(left, missing, work);
                let right = self.scalar(right, missing, work);
                binary(*op, left, right)
            }
            Expr::Call(func, args) => self.call(*func, args, missing, work),
        }
    }

    /// Every value an argument stands for: each cell of a range (blank ones too), or one value.
    fn each_value(&self, expr: &Expr, missing: &mut Vec<Key>, work: &mut u64, mut take: impl FnMut(V, bool) -> Result<(), V>) -> Result<(), V> {
        let Expr::Reference(area) = expr else { return take(self.scalar(expr, missing, work), false) };
        let (sheet, top, bottom, left, right) = self.cells(area)?;
        if top > bottom || left > right {
            return Ok(());
        }
        *work += u64::from(bottom - top + 1) * u64::from(right - left + 1);
        if *work + self.book.work > self.book.max_work {
            return Err(V::Unknown(Why::TooMuchWork));
        }
        for row in top..=bottom {
            for col in left..=right {
                take(self.cell((sheet, row, col), missing), true)?;
            }
        }
        Ok(())
    }

    fn call(&self, func: Func, args: &[Expr], missing: &mut Vec<Key>, work: &mut u64) -> V {
        let mut arg = |i: usize| args.get(i).map_or(V::Empty, |a| self.scalar(a, missing, work));
        match func {
            Func::If => match arg(0).truth() {
                Ok(true) => arg(1),
                Ok(false) => match args.len() {
                    3 => arg(2),
                    _ => V::Bool(false),
                },
                Err(e) => e,
            },
            Func::IfError => match arg(0) {
                V::Error(_) => arg(1),
                other => other,
            },
            Func::Round | Func::RoundUp | Func::RoundDown => {
                let (value, places) = (arg(0), arg(1));
                match (value.number(), places.number()) {
                    (Ok(value), Ok(places)) => round(func, value, places),
                    (Err(e), _) | (_, Err(e)) => e,
                }
            }
            Func::Int => arg(0).number().map_or_else(|e| e, |n| V::Num(n.floor())),
            Func::Abs => arg(0).number().map_or_else(|e| e, |n| V::Num(n.abs())),
            Func::Not => arg(0).truth().map_or_else(|e| e, |b| V::Bool(!b)),
            Func::Sum | Func::Min | Func::Max | Func::Average | Func::Count => self.aggregate(func, args, missing, work),
            Func::And | Func::Or => self.logical(func, args, missing, work),
        }
    }

    /// SUM and its kin: numbers in ranges count, text and blanks in ranges do not; a value given
    /// directly counts as the number it reads as.
    fn aggregate(&self, func: Func, args: &[Expr], missing: &mut Vec<Key>, work: &mut u64) -> V {
        let mut sum = Decimal::ZERO;
        let mut count = 0u64;
        let (mut min, mut max): (Option<Decimal>, Option<Decimal>) = (None, None);
        for arg in args {
            let result = self.each_value(arg, missing, work, |value, in_range| {
                let number = match (value, in_range) {
                    (failure, _) if failure.is_failure() => return Err(failure),
                    (V::Num(n), _) => n,
                    (_, true) => return Ok(()),
                    (V::Empty, false) if func == Func::Count => return Ok(()),
                    (other, false) => match other.number() {
                        Ok(n) => n,
                        Err(_) if func == Func::Count => return Ok(()),
                        Err(e) => return Err(e),
                    },
                };
                sum = sum.checked_add(number).ok_or(V::Error("#NUM!"))?;
                count += 1;
                min = Some(min.map_or(number, |m| m.min(number)));
                max = Some(max.map_or(number, |m| m.max(number)));
                Ok(())
            });
            if let Err(failure) = result {
                return failure;
            }
        }
        match func {
            Func::Sum => V::Num(sum),
            Func::Count => V::Num(Decimal::from(count)),
            Func::Min => V::Num(min.unwrap_or(Decimal::ZERO)),
            Func::Max => V::Num(max.unwrap_or(Decimal::ZERO)),
            _ if count == 0 => V::Error("#DIV/0!"),
            _ => sum.checked_div(Decimal::from(count)).map_or(V::Error("#NUM!"), V::Num),
        }
    }

    fn logical(&self, func: Func, args: &[Expr], missing: &mut Vec<Key>, work: &mut u64) -> V {
        let mut seen = false;
        let mut all = true;
        let mut any = false;
        for arg in args {
            let result = self.each_value(arg, missing, work, |value, in_range| {
                let truth = match (value, in_range) {
                    (failure, _) if failure.is_failure() => return Err(failure),
                    (V::Empty | V::Text(_), true) => return Ok(()),
                    (other, _) => other.truth()?,
                };
                seen = true;
                all &= truth;
                any |= truth;
                Ok(())
            });
            if let Err(failure) = result {
                return failure;
            }
        }
        match (seen, func) {
            (false, _) => V::Error("#VALUE!"),
            (true, Func::And) => V::Bool(all),
            (true, _) => V::Bool(any),
        }
    }
}

fn round(func: Func, value: Decimal, places: Decimal) -> V {
    let strategy = match func {
        Func::RoundUp => RoundingStrategy::AwayFromZero,
        Func::RoundDown => RoundingStrategy::ToZero,
        _ => RoundingStrategy::MidpointAwayFromZero,
    };
    let places = places.trunc();
    if places >= Decimal::ZERO {
        let places = u32::try_from(places.normalize().mantissa()).unwrap_or(28).min(28);
        return V::Num(value.round_dp_with_strategy(places, strategy));
    }
    // ROUND(1234.5, -2) = 1200: rounding to tens, hundreds …
    let tens = places.abs().min(Decimal::from(28));
    let Some(unit) = whole_power(Decimal::TEN, tens) else { return V::Error("#NUM!") };
    match value.checked_div(unit) {
        Some(scaled) => scaled.round_dp_with_strategy(0, strategy).checked_mul(unit).map_or(V::Error("#NUM!"), V::Num),
        None => V::Error("#NUM!"),
    }
}

fn binary(op: Op, left: V, right: V) -> V {
    // An error or an unknown on the left wins, as in Excel.
    for side in [&left, &right] {
        if side.is_failure() {
            return side.clone();
        }
    }
    match op {
        Op::Concat => match (left.text(), right.text()) {
            (Ok(a), Ok(b)) => V::Text(a + &b),
            (Err(e), _) | (_, Err(e)) => e,
        },
        Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let ordering = compare(&left, &right);
            V::Bool(match op {
                Op::Eq => ordering.is_eq(),
                Op::Ne => ordering.is_ne(),
                Op::Lt => ordering.is_lt(),
                Op::Le => ordering.is_le(),
                Op::Gt => ordering.is_gt(),
                _ => ordering.is_ge(),
            })
        }
        _ => {
            let (a, b) = match (left.number(), right.number()) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(e), _) | (_, Err(e)) => return e,
            };
            let result = match op {
                Op::Add => a.checked_add(b),
                Op::Sub => a.checked_sub(b),
                Op::Mul => a.checked_mul(b),
                Op::Div if b.is_zero() => return V::Error("#DIV/0!"),
                Op::Div => a.checked_div(b),
                _ => return power(a, b),
            };
            result.map_or(V::Error("#NUM!"), V::Num)
        }
    }
}

/// `^` with a whole exponent, exactly; any other exponent is not an exact decimal.
fn power(base: Decimal, exponent: Decimal) -> V {
    if exponent.fract() != Decimal::ZERO || exponent.abs() > Decimal::from(64) {
        return V::Unknown(Why::Function("^".into()));
    }
    if base.is_zero() && exponent < Decimal::ZERO {
        return V::Error("#DIV/0!");
    }
    whole_power(base, exponent).map_or(V::Error("#NUM!"), V::Num)
}

/// `base` to a whole `exponent` (at most 64 in size), by multiplying; `None` on overflow.
fn whole_power(base: Decimal, exponent: Decimal) -> Option<Decimal> {
    let times = u32::try_from(exponent.abs().trunc().normalize().mantissa()).ok()?;
    let mut result = Decimal::ONE;
    for _ in 0..times {
        result = result.checked_mul(base)?;
    }
    match exponent.is_sign_negative() {
        true => Decimal::ONE.checked_div(result),
        false => Some(result),
    }
}

/// Excel's order: numbers before text before booleans; text compares without case; blank is 0 or "".
fn compare(left: &V, right: &V) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let rank = |v: &V| match v {
        V::Num(_) | V::Empty => 0,
        V::Text(_) => 1,
        _ => 2,
    };
    match (left, right) {
        (V::Num(a), V::Num(b)) => a.cmp(b),
        (V::Num(a), V::Empty) => a.cmp(&Decimal::ZERO),
        (V::Empty, V::Num(b)) => Decimal::ZERO.cmp(b),
        (V::Empty, V::Empty) => Ordering::Equal,
        (V::Text(a), V::Text(b)) => a.to_lowercase().cmp(&b.to_lowercase()),
        (V::Text(a), V::Empty) => if a.is_empty() { Ordering::Equal } else { Ordering::Greater },
        (V::Empty, V::Text(b)) => if b.is_empty() { Ordering::Equal } else { Ordering::Less },
        (V::Bool(a), V::Bool(b)) => a.cmp(b),
        _ => rank(left).cmp(&rank(right)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::grid::GridCell;

    fn n(value: f64) -> Value {
        Value::Number(value)
    }

    fn t(text: &str) -> Value {
        Value::Text(text.into())
    }

    /// A sheet of values; `formulas` are (A1 cell, text, stored result or None).
    fn sheet(name: &str, mut rows: Vec<Vec<Value>>, formulas: &[(&str, &str, Option<f64>)]) -> Grid {
        for (at, _, stored) in formulas {
            let (row, col) = crate::read::layout::parse_a1(at).unwrap();
            while rows.len() <= row as usize {
                rows.push(Vec::new());
            }
            let cells = &mut rows[row as usize];
            while cells.len() <= col as usize {
                cells.push(Value::Empty);
            }
            cells[col as usize] = stored.map_or(Value::Empty, Value::Number);
        }
        let mut grid = Grid::from_values(name, rows);
        for (at, text, stored) in formulas {
            let cell = crate::read::layout::parse_a1(at).unwrap();
            grid.layout.formulas.insert(cell, (*text).to_string());
            if stored.is_none() {
                grid.layout.uncached_formulas.push(cell);
            }
        }
        grid
    }

    fn value_at(grid: &Grid, at: &str) -> Value {
        let (row, col) = crate::read::layout::parse_a1(at).unwrap();
        grid.cell(row, col).value.clone()
    }

    fn one(formula: &str) -> Value {
        let mut grids = vec![sheet(
            "s",
            vec![vec![n(146.0), n(110.4), n(67.0), t("1,234.5"), Value::Empty, t("甲"), Value::Bool(true)]],
            &[("A3", formula, None)],
        )];
        settle(&mut grids);
        value_at(&grids[0], "A3")
    }

    #[test]
    fn arithmetic_and_functions_compute_exactly() {
        assert_eq!(one("SUM(A1:C1)"), n(323.4));
        assert_eq!(one("A1+B1+C1"), n(323.4));
        assert_eq!(one("ROUND(C1/B1*100,2)"), n(60.69));
        assert_eq!(one("ROUND(2.345,2)"), n(2.35));
        assert_eq!(one("ROUND(-2.345,2)"), n(-2.35));
        assert_eq!(one("ROUND(1234.5,-2)"), n(1200.0));
        assert_eq!(one("ROUNDDOWN(2.349,2)"), n(2.34));
        assert_eq!(one("ROUNDUP(2.341,2)"), n(2.35));
        assert_eq!(one("IF(B1=0,\"\",C1/B1)"), n(0.6068840579710145));
        assert_eq!(one("IF(E1=0,\"\",C1/E1)"), t(""));
        assert_eq!(one("-2^2"), n(4.0));
        assert_eq!(one("2+3*4-6/2"), n(11.0));
        assert_eq!(one("(2+3)*4"), n(20.0));
        assert_eq!(one("50%*A1"), n(73.0));
        assert_eq!(one("D1*2"), n(2469.0), "text that reads as a number counts in arithmetic");
        assert_eq!(one("SUM(D1:F1)"), n(0.0), "text in a range does not count in SUM");
        assert_eq!(one("F1&\"-\"&A1"), t("甲-146"));
        assert_eq!(one("MAX(A1:C1)-MIN(A1:C1)"), n(79.0));
        assert_eq!(one("AVERAGE(A1,C1)"), n(106.5));
        assert_eq!(one("COUNT(A1:G1)"), n(3.0));
        assert_eq!(one("AND(A1>100,G1)"), Value::Bool(true));
        assert_eq!(one("IFERROR(A1/E1,0)"), n(0.0));
        assert_eq!(one("A1/E1"), Value::Error("#DIV/0!".into()));
        assert_eq!(one("E1"), n(0.0), "a formula reading a blank cell shows 0");
        assert_eq!(one("$A$1+_xlfn.SUM(B1)"), n(256.4));
        assert_eq!(one("SUM(B:B)"), n(110.4));
        assert!(matches!(one("SUM(A:A)"), Value::Formula(_)), "a column holding the formula itself is a cycle");
    }

    #[test]
    fn what_cannot_be_computed_is_named_not_guessed() {
        for (formula, why) in [
            ("VLOOKUP(A1,A1:B2,2,FALSE)", Why::Function("VLOOKUP".into())),
            ("SUBTOTAL(9,A1:C1)", Why::Function("SUBTOTAL".into())),
            ("[1]Sheet1!A1", Why::External),
            ("预算表!A1", Why::Name("预算表".into())),
            ("合计金额*2", Why::Name("合计金额".into())),
            ("{1,2}", Why::Syntax),
            ("SUM(A1:C1", Why::Syntax),
            ("2^0.5", Why::Function("^".into())),
        ] {
            let mut grids = vec![sheet("s", vec![vec![n(1.0), n(2.0), n(3.0)]], &[("A3", formula, None)])];
            settle(&mut grids);
            assert_eq!(value_at(&grids[0], "A3"), Value::Formula(formula.into()), "{formula}");
            assert_eq!(grids[0].formula_notes.uncomputed.len(), 1, "{formula}");
            assert_eq!(grids[0].formula_notes.uncomputed[0].why, why, "{formula}");
        }
    }

    #[test]
    fn formulas_read_other_formulas_and_other_sheets_in_any_order() {
        // 合计 first, above the rows it sums, whose ratios are formulas too; a second sheet reads it.
        let mut grids = vec![
            sheet(
                "清单",
                vec![vec![], vec![], vec![t("a"), n(100.0), n(50.0)], vec![t("b"), n(300.0), n(150.0)]],
                &[("B2", "SUM(B3:B4)", None), ("C2", "SUM(C3:C4)", None), ("D2", "ROUND(C2/B2*100,2)", None), ("D3", "C3/B3", None)],
            ),
            sheet("汇总", vec![], &[("A1", "'清单'!D2+清单!B2", None)]),
        ];
        settle(&mut grids);
        assert_eq!(value_at(&grids[0], "B2"), n(400.0));
        assert_eq!(value_at(&grids[0], "D2"), n(50.0));
        assert_eq!(value_at(&grids[0], "D3"), n(0.5));
        assert_eq!(value_at(&grids[1], "A1"), n(450.0));
        assert!(grids.iter().all(|g| g.formula_notes.uncomputed.is_empty() && g.formula_notes.stale.is_empty()));
    }

    #[test]
    fn a_cycle_is_named_and_a_long_chain_does_not_overflow_the_stack() {
        let mut grids = vec![sheet("s", vec![], &[("A1", "B1+1", None), ("B1", "A1+1", None)])];
        settle(&mut grids);
        assert!(grids[0].formula_notes.uncomputed.iter().all(|u| u.why == Why::Cycle));
        assert_eq!(grids[0].formula_notes.uncomputed.len(), 2);

        // A running balance 100,000 rows deep, computed from the bottom up.
        let rows = 100_000u32;
        let mut grid = Grid::from_values("s", (0..rows).map(|_| vec![n(1.0)]).collect());
        for row in 0..rows {
            let text = if row == 0 { "A1".to_string() } else { format!("B{}+A{}", row, row + 1) };
            grid.layout.formulas.insert((row, 1), text);
            grid.layout.uncached_formulas.push((row, 1));
        }
        let mut grids = vec![grid];
        settle(&mut grids);
        assert_eq!(grids[0].cell(rows - 1, 1).value, n(f64::from(rows)));
    }

    #[test]
    fn shared_formulas_shift_their_relative_references() {
        let mut grid = sheet(
            "s",
            vec![vec![n(80.0), n(60.0)], vec![n(200.0), n(150.0)], vec![n(50.0), n(10.0)]],
            &[("C1", "ROUND(B1/A1*100,2)", Some(75.0)), ("D1", "$A$1", Some(80.0))],
        );
        for row in 1..3 {
            grid.layout.shared_formulas.insert((row, 2), (0, 2));
            grid.layout.shared_formulas.insert((row, 3), (0, 3));
            grid.layout.uncached_formulas.push((row, 2));
            grid.layout.uncached_formulas.push((row, 3));
        }
        let mut grids = vec![grid];
        settle(&mut grids);
        assert_eq!(value_at(&grids[0], "C2"), n(75.0));
        assert_eq!(value_at(&grids[0], "C3"), n(20.0));
        assert_eq!(value_at(&grids[0], "D3"), n(80.0), "an absolute reference does not shift");
    }

    #[test]
    fn a_stored_result_is_kept_and_a_stale_one_noted_beyond_what_the_cell_shows() {
        let two_decimals = Some(NumberFormat { decimals: 2, percent: false });
        let cell = |value: f64, format| GridCell { value: n(value), format, look: 0 };
        let rows = vec![
            vec![cell(110.4, None), cell(80.0, None), cell(190.0, None), cell(190.404, two_decimals), cell(190.404, None)],
            vec![cell(0.1, None), cell(0.2, None), cell(0.30000000000000004, None)],
        ];
        let mut grid = Grid::new("s", rows, Vec::new());
        for (at, text) in [("C1", "A1+B1"), ("D1", "A1+B1"), ("E1", "A1+B1"), ("C2", "A2+B2")] {
            grid.layout.formulas.insert(crate::read::layout::parse_a1(at).unwrap(), text.into());
        }
        let mut grids = vec![grid];
        settle(&mut grids);
        assert_eq!(value_at(&grids[0], "C1"), n(190.0), "a stored result is kept");
        let stale: Vec<(u32, u32)> = grids[0].formula_notes.stale.iter().map(|s| (s.row, s.col)).collect();
        // C1 is stale; D1 shows 190.40 either way; E1 (General) shows the difference; C2 is float noise.
        assert_eq!(stale, vec![(0, 2), (0, 4)]);
        assert_eq!(grids[0].formula_notes.stale[0].computed, Decimal::new(1904, 1));
        assert!(!differs_beyond_shown(Decimal::new(190404, 3), Decimal::new(1904, 1), two_decimals));
        assert!(differs_beyond_shown(Decimal::new(19041, 2), Decimal::new(1904, 1), two_decimals));
    }

    #[test]
    fn work_is_bounded() {
        // A thousand formulas each summing a whole column: left uncomputed past the bound, not hung.
        let mut grid = Grid::from_values("s", (0..1_000).map(|_| vec![n(1.0)]).collect());
        for row in 0..1_000u32 {
            grid.layout.formulas.insert((row, 1), "SUM(A:A)".into());
            grid.layout.uncached_formulas.push((row, 1));
        }
        let mut grids = vec![grid];
        settle_within(&mut grids, 100_000);
        let notes = &grids[0].formula_notes;
        assert!(notes.uncomputed.iter().all(|u| u.why == Why::TooMuchWork));
        assert!(notes.uncomputed.len() >= 500, "most are left uncomputed: {}", notes.uncomputed.len());
        assert_eq!(grids[0].cell(0, 1).value, n(1_000.0));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let formula = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let mut grids = vec![sheet("s", vec![], &[("A1", &formula, None)])];
        settle(&mut grids);
        assert_eq!(grids[0].formula_notes.uncomputed[0].why, Why::Syntax);
    }
}
