//! An .xlsx worksheet's cells read straight from its XML by the tag scanner ([`crate::read::xml_scan`])
//! rather than by calamine's event reader: on a 100,000-row list that reader took 0.53–0.59 s of a
//! 1.0 s `check -o`, the scanner 0.30–0.42 s.
//!
//! It gives what calamine's cell reader gives — the same values, style ids and positions, in the same
//! order, texts with XML's line ends and Excel's `_xHHHH_` escapes decoded alike — and gives up
//! (`None`: calamine then reads the sheet) wherever the two could part: a cell type or child element
//! it does not know, a reference it does not resolve alike, markup inside a value, a position or a
//! bound it would refuse.
//! The sheets of Excel-style writers (rust_xlsxwriter, XlsxWriter, openpyxl, LibreOffice, polars) are
//! read by it; odd files lose only the speed.

use std::borrow::Cow;
use std::io::{Read, Seek};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use calamine::{ExcelDateTime, ExcelDateTimeType, Style};
use zip::ZipArchive;

use crate::error::Limit;
use crate::read::grid::{check_text, date_text, place, Budget, CellMaker, GridCell, ReadLimits, SheetCells, Value, MAX_RESERVED_ROWS, MAX_RESERVED_WIDTH};
use crate::read::layout::{a1_position, workbook_sheets};
use crate::read::xml_scan::{self, Skipped, Tag, Visitor};

/// What a number shown in a style is taken for, as calamine takes it (a date or a time span).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberKind {
    Plain,
    Date,
    Duration,
}

/// A workbook's sheets as the scanner reads them: its package, shared strings and sheet parts.
pub(crate) struct ScannedBook<R> {
    zip: ZipArchive<R>,
    strings: Vec<Arc<str>>,
    parts: Vec<(String, String)>,
    is_1904: bool,
}

impl<R: Read + Seek> ScannedBook<R> {
    /// The package's shared strings and sheet parts; `None` when the scanner cannot read them as
    /// calamine did (every sheet is then read by calamine).
    pub(crate) fn open(reader: R, is_1904: bool) -> Option<ScannedBook<R>> {
        let mut zip = ZipArchive::new(reader).ok()?;
        let parts = workbook_sheets(&mut zip).ok()?.into_iter().map(|s| (s.name, s.part)).collect();
        let strings = match zip.by_name("xl/sharedStrings.xml") {
            Ok(part) => shared_strings(part)?,
            Err(zip::result::ZipError::FileNotFound) => Vec::new(),
            Err(_) => return None,
        };
        Some(ScannedBook { zip, strings, parts, is_1904 })
    }

    /// The cells of sheet `name`, its cell styles being `styles` (calamine's, by style id); `None`
    /// when calamine is to read it. `budget` is spent only on a sheet read.
    pub(crate) fn read_sheet(&mut self, name: &str, styles: &[Style], budget: &mut Budget, limits: &ReadLimits) -> Option<SheetCells> {
        let part = self.parts.iter().find(|(n, _)| n == name).map(|(_, p)| p.clone())?;
        let kinds: Vec<NumberKind> = styles.iter().map(number_kind).collect();
        // Spent on a copy: a sheet left to calamine (or a panic) leaves the budget as it was.
        let mut trial = budget.clone();
        let gave_up = AtomicBool::new(false);
        let shared = Shared { strings: &self.strings, kinds: &kinds, styles, is_1904: self.is_1904 };
        let mut reading = SheetReading::new(shared, &mut trial, limits, &gave_up);
        let scanned = match self.zip.by_name(&part) {
            Ok(xml) => xml_scan::scan(xml, &mut reading, &gave_up).is_ok(),
            Err(_) => false,
        };
        let cells = reading.finish().filter(|_| scanned)?;
        *budget = trial;
        Some(cells)
    }
}

/// calamine's reading of a style's number format: the built-in codes by id (the East Asian dates
/// among them, which it lists with no code), the others by their code.
fn number_kind(style: &Style) -> NumberKind {
    let Some(format) = style.number_format.as_ref() else { return NumberKind::Plain };
    match (format.format_code.as_str(), format.format_id) {
        ("General", Some(27..=36 | 50..=58)) => NumberKind::Date,
        (code, _) => kind_of_code(code),
    }
}

/// calamine's `detect_custom_number_format`: a date when a date or time token stands outside quotes,
/// escapes and brackets in the first section; a span when a bracketed `[h]`, `[m]` or `[s]` is closed.
fn kind_of_code(code: &str) -> NumberKind {
    let (mut escaped, mut quoted, mut brackets, mut prev, mut hms, mut ap) = (false, false, 0u8, ' ', false, false);
    for c in code.chars() {
        match (c, escaped, quoted, ap, brackets) {
            (_, true, ..) => escaped = false,
            ('_' | '\\' | '*', ..) => escaped = true,
            ('"', _, true, _, _) => quoted = false,
            (_, _, true, _, _) => (),
            ('"', ..) => quoted = true,
            (';', ..) => return NumberKind::Plain,
            ('[', ..) => brackets = brackets.saturating_add(1),
            (']', .., 1) if hms => return NumberKind::Duration,
            (']', ..) => brackets = brackets.saturating_sub(1),
            ('a' | 'A', _, _, false, 0) => ap = true,
            ('p' | 'm' | '/' | 'P' | 'M', _, _, true, 0) => return NumberKind::Date,
            ('d' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S', _, _, false, 0) => return NumberKind::Date,
            _ => {
                if !(hms && c.eq_ignore_ascii_case(&prev)) {
                    hms = prev == '[' && matches!(c, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                }
            }
        }
        prev = c;
    }
    NumberKind::Plain
}

/// The shared strings part, one text per `<si>`; `None` where calamine could read it otherwise.
fn shared_strings(part: impl Read) -> Option<Vec<Arc<str>>> {
    let gave_up = AtomicBool::new(false);
    let mut reading = StringsReading { strings: Vec::new(), open: None, gave_up: &gave_up };
    xml_scan::scan(part, &mut reading, &gave_up).ok()?;
    (!gave_up.load(Ordering::Relaxed) && reading.open.is_none()).then_some(reading.strings)
}

struct StringsReading<'a> {
    strings: Vec<Arc<str>>,
    open: Option<RichText>,
    gave_up: &'a AtomicBool,
}

impl Visitor for StringsReading<'_> {
    fn start(&mut self, name: &[u8], tag: &Tag<'_>, empty: bool) {
        match &mut self.open {
            Some(text) => {
                let known = text.start(name, tag);
                self.gave_up.fetch_or(!known, Ordering::Relaxed);
            }
            None if name == b"si" => self.open = Some(RichText::default()),
            None => {}
        }
        if empty {
            self.end(name);
        }
    }

    fn end(&mut self, name: &[u8]) {
        let Some(text) = &mut self.open else { return };
        if name == b"si" && !text.in_text() {
            let done = std::mem::take(text);
            self.open = None;
            self.strings.push(Arc::from(done.text));
        } else if !text.end(name) {
            self.gave_up.store(true, Ordering::Relaxed);
        }
    }

    fn wants_text(&self) -> bool {
        true
    }

    fn skipped(&mut self, what: Skipped) {
        self.gave_up.fetch_or(what == Skipped::Declaration, Ordering::Relaxed);
    }

    fn text(&mut self, text: &[u8], cdata: bool) -> Result<(), String> {
        read_on(match self.open.as_mut().filter(|open| open.in_text()) {
            Some(open) => open.text(text, cdata),
            None => cdata || references_closed(text),
        })
    }
}

/// The scan goes on while the text could be read as calamine reads it, and stops (the part is left
/// to calamine) otherwise.
fn read_on(fine: bool) -> Result<(), String> {
    match fine {
        true => Ok(()),
        false => Err("left to calamine".into()),
    }
}

/// The text of an `<si>` or `<is>`: its `<t>` pieces but those of phonetic runs, each trimmed of
/// ASCII white space unless it keeps its space.
#[derive(Default)]
struct RichText {
    text: String,
    phonetic: bool,
    /// Inside a `<t>`: whether it keeps its space, and its text so far.
    piece: Option<(bool, String)>,
}

impl RichText {
    fn in_text(&self) -> bool {
        self.piece.is_some()
    }

    /// False where calamine could read it otherwise (markup inside a `<t>`).
    fn start(&mut self, name: &[u8], tag: &Tag<'_>) -> bool {
        if self.piece.is_some() {
            return false;
        }
        match name {
            b"rPh" => self.phonetic = true,
            b"t" if !self.phonetic => match strict_attribute(tag, b"xml:space") {
                Ok(space) => self.piece = Some((space == Some(b"preserve"), String::new())),
                Err(AttributesWrittenOtherwise) => return false,
            },
            _ => {}
        }
        true
    }

    fn end(&mut self, name: &[u8]) -> bool {
        match (name, self.piece.take()) {
            (b"t", Some((keeps_space, piece))) => {
                let piece = if keeps_space { piece.as_str() } else { piece.trim_matches([' ', '\t', '\r', '\n']) };
                self.text.push_str(&excel_unescaped(piece));
            }
            (_, Some(_)) => return false,
            (b"rPh", None) => self.phonetic = false,
            _ => {}
        }
        true
    }

    fn text(&mut self, text: &[u8], cdata: bool) -> bool {
        match &mut self.piece {
            Some((_, piece)) => resolved_into(text, cdata, piece),
            None => true,
        }
    }
}

/// Whether every `&` of a text not read starts a reference closed by its `;`, of ASCII name characters:
/// quick-xml refuses a reference left open.
fn references_closed(text: &[u8]) -> bool {
    let mut rest = text;
    while let Some(amp) = memchr::memchr(b'&', rest) {
        let name_len = rest[amp + 1..].iter().take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'#' | b'_' | b':' | b'.' | b'-')).count();
        let after = amp + 1 + name_len;
        if name_len == 0 || rest.get(after) != Some(&b';') {
            return false;
        }
        rest = &rest[after + 1..];
    }
    true
}

/// Appends `raw` text to `out` with its line ends read as XML reads them and its references resolved;
/// false where calamine could read it otherwise: a reference that is not one of XML's five names or a
/// character, a control character, text that is not UTF-8.
fn resolved_into(raw: &[u8], cdata: bool, out: &mut String) -> bool {
    let Ok(text) = std::str::from_utf8(raw) else { return false };
    if cdata {
        push_line_ends_read(out, text);
        return true;
    }
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        push_line_ends_read(out, &rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(semi) = after.find(';') else { return false };
        let Some(c) = reference(&after[..semi]) else { return false };
        out.push(c);
        rest = &after[semi + 1..];
    }
    push_line_ends_read(out, rest);
    true
}

/// Appends `text` with XML 1.0's line ends as quick-xml reads them for calamine (`xml10_content`):
/// `\r\n` and a lone `\r` are a `\n`. A `\r` written as `&#13;` is not a line end and stays.
fn push_line_ends_read(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(cr) = rest.find('\r') {
        out.push_str(&rest[..cr]);
        out.push('\n');
        rest = &rest[cr + 1..];
        rest = rest.strip_prefix('\n').unwrap_or(rest);
    }
    out.push_str(rest);
}

/// The length of an Excel escape, `_xHHHH_`.
const EXCEL_ESCAPE_LEN: usize = 7;

/// `text` with Excel's `_xHHHH_` escapes decoded as calamine decodes them: each is a UTF-16 unit, a
/// surrogate pair one character, a surrogate left alone U+FFFD. Excel writes a carriage return as
/// `_x000D_` and the literal text `_x000D_` as `_x005F_x000D_`.
fn excel_unescaped(text: &str) -> Cow<'_, str> {
    let Some((mut at, mut unit)) = next_excel_escape(text, 0) else { return Cow::Borrowed(text) };
    let mut decoded = String::with_capacity(text.len());
    let mut copied = 0;
    loop {
        decoded.push_str(&text[copied..at]);
        at += EXCEL_ESCAPE_LEN;
        let c = match unit {
            0xD800..=0xDBFF => match excel_escape_at(text, at) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    at += EXCEL_ESCAPE_LEN;
                    char::from_u32(0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00))
                }
                _ => None,
            },
            _ => char::from_u32(u32::from(unit)),
        };
        decoded.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
        copied = at;
        match next_excel_escape(text, at) {
            Some(next) => (at, unit) = next,
            None => break,
        }
    }
    decoded.push_str(&text[copied..]);
    Cow::Owned(decoded)
}

/// The first `_xHHHH_` escape at or after byte `from`: where it starts, and its UTF-16 unit.
fn next_excel_escape(text: &str, from: usize) -> Option<(usize, u16)> {
    memchr::memchr_iter(b'_', &text.as_bytes()[from..]).map(|i| from + i).find_map(|at| Some((at, excel_escape_at(text, at)?)))
}

/// The UTF-16 unit of an `_xHHHH_` escape starting at byte `at` (`x` in lower case, digits in either).
fn excel_escape_at(text: &str, at: usize) -> Option<u16> {
    match text.as_bytes().get(at..at + EXCEL_ESCAPE_LEN)? {
        [b'_', b'x', hex @ .., b'_'] if hex.iter().all(u8::is_ascii_hexdigit) => {
            Some(hex.iter().fold(0, |unit, &digit| unit << 4 | (char::from(digit).to_digit(16).unwrap_or(0) as u16)))
        }
        _ => None,
    }
}

/// A reference as quick-xml resolves it: one of XML's five names, or a character (`&#x…;` in lower case,
/// no sign, no control character); `None` for anything it reads otherwise or refuses.
fn reference(name: &str) -> Option<char> {
    if name.starts_with("#X") || name.contains('+') {
        return None;
    }
    xml_scan::reference(name).filter(|&c| c >= ' ' || matches!(c, '\t' | '\n' | '\r'))
}

/// A tag whose attributes are not all written `name="value"`: calamine refuses it, or may read it otherwise.
struct AttributesWrittenOtherwise;

/// The raw value of attribute `key`, when every attribute of `tag` is well written.
fn strict_attribute<'t>(tag: &Tag<'t>, key: &[u8]) -> Result<Option<&'t [u8]>, AttributesWrittenOtherwise> {
    strict_attributes(tag, [key]).map(|[value]| value)
}

/// The raw values of attributes `keys`, when every attribute of `tag` is well written and none of
/// those is written twice (calamine then reads one or the other).
fn strict_attributes<'t, const N: usize>(tag: &Tag<'t>, keys: [&[u8]; N]) -> Result<[Option<&'t [u8]>; N], AttributesWrittenOtherwise> {
    let mut found = [None; N];
    let mut attributes = tag.attributes();
    for (name, value) in attributes.by_ref() {
        if let Some(at) = keys.iter().position(|key| *key == name) {
            if found[at].replace(value).is_some() {
                return Err(AttributesWrittenOtherwise);
            }
        }
    }
    attributes.all_read().then_some(found).ok_or(AttributesWrittenOtherwise)
}

/// What the workbook gives every sheet's cells.
struct Shared<'a> {
    strings: &'a [Arc<str>],
    kinds: &'a [NumberKind],
    styles: &'a [Style],
    is_1904: bool,
}

/// A cell's `t`, as calamine reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellType {
    Number,
    /// No `t`: a number, or the text as written when it is none.
    Untyped,
    Shared,
    Bool,
    Error,
    FormulaText,
    Iso,
    Inline,
}

impl CellType {
    fn of(t: Option<&[u8]>) -> Option<CellType> {
        Some(match t {
            None => CellType::Untyped,
            Some(b"n") => CellType::Number,
            Some(b"s") => CellType::Shared,
            Some(b"b") => CellType::Bool,
            Some(b"e") => CellType::Error,
            Some(b"str") => CellType::FormulaText,
            Some(b"d") => CellType::Iso,
            Some(b"inlineStr" | b"is") => CellType::Inline,
            Some(_) => return None,
        })
    }
}

/// The element read inside a cell.
enum Child {
    None,
    Value(String),
    Inline(RichText),
    /// A formula (its text is the layout pass's), `depth` elements deep inside it.
    Formula { depth: u32 },
}

impl OpenCell {
    /// Whether the text met now is the cell's value (or part of it).
    fn reads_text(&self) -> bool {
        match &self.child {
            Child::Value(_) => true,
            Child::Inline(text) => text.in_text(),
            Child::None | Child::Formula { .. } => false,
        }
    }
}

struct OpenCell {
    row: u32,
    col: u32,
    style: usize,
    /// Whether the cell names its style: calamine reads a number of a cell without one as a figure.
    styled: bool,
    typ: CellType,
    value: Value,
    child: Child,
}

#[derive(PartialEq, Eq)]
/// Where the scan is: before `<sheetData>`, inside it, after it.
enum Stage {
    Head,
    Rows,
    Tail,
}

struct SheetReading<'a> {
    shared: Shared<'a>,
    budget: &'a mut Budget,
    limits: &'a ReadLimits,
    gave_up: &'a AtomicBool,
    stage: Stage,
    maker: CellMaker,
    rows: Vec<Vec<GridCell>>,
    width: usize,
    row: u32,
    col: u32,
    cell: Option<OpenCell>,
    last_read: Option<(u32, u32)>,
    in_order: bool,
}

impl<'a> SheetReading<'a> {
    fn new(shared: Shared<'a>, budget: &'a mut Budget, limits: &'a ReadLimits, gave_up: &'a AtomicBool) -> SheetReading<'a> {
        SheetReading {
            shared,
            budget,
            limits,
            gave_up,
            stage: Stage::Head,
            maker: CellMaker::default(),
            rows: Vec::new(),
            width: 1,
            row: 0,
            col: 0,
            cell: None,
            last_read: None,
            in_order: true,
        }
    }

    fn give_up(&mut self) {
        self.gave_up.store(true, Ordering::Relaxed);
    }

    fn finish(self) -> Option<SheetCells> {
        let whole = self.stage == Stage::Tail && !self.gave_up.load(Ordering::Relaxed);
        whole.then_some(SheetCells { rows: self.rows, looks: self.maker.looks, in_order: self.in_order })
    }

    /// `<dimension ref>`: the room reserved, as calamine's reader would.
    fn dimension(&mut self, tag: &Tag<'_>) {
        let corners: Option<Vec<(u32, u32)>> = strict_attribute(tag, b"ref").ok().flatten().and_then(|r| r.split(|&b| b == b':').map(a1_position).collect());
        let Some(&last) = corners.as_ref().and_then(|c| c.last()) else { return self.give_up() };
        self.width = (last.1.saturating_add(1)).min(MAX_RESERVED_WIDTH) as usize;
        self.rows.reserve_exact((last.0.saturating_add(1)).min(MAX_RESERVED_ROWS) as usize);
    }

    fn start_row(&mut self, tag: &Tag<'_>) {
        match strict_attribute(tag, b"r") {
            Ok(None) => {}
            Ok(Some(r)) => match row_number(r) {
                Some(row) => self.row = row,
                None => self.give_up(),
            },
            Err(AttributesWrittenOtherwise) => self.give_up(),
        }
    }

    fn start_cell(&mut self, tag: &Tag<'_>) {
        if self.cell.is_some() {
            return self.give_up();
        }
        let Ok([r, s, t]) = strict_attributes(tag, [b"r", b"s", b"t"]) else { return self.give_up() };
        let Some(typ) = CellType::of(t) else { return self.give_up() };
        let (row, col) = match r.map(a1_position) {
            Some(Some(at)) => at,
            Some(None) => return self.give_up(),
            None => (self.row, self.col),
        };
        let style = match s {
            None => 0,
            Some(s) => match digits(s) {
                Some(id) => id as usize,
                None => return self.give_up(),
            },
        };
        self.col = col;
        self.cell = Some(OpenCell { row, col, style, styled: s.is_some(), typ, value: Value::Empty, child: Child::None });
    }

    fn start_child(&mut self, name: &[u8], tag: &Tag<'_>) {
        let Some(cell) = &mut self.cell else { return };
        let fine = match &mut cell.child {
            Child::None => {
                let child = match name {
                    b"v" => Some(Child::Value(String::new())),
                    b"is" => Some(Child::Inline(RichText::default())),
                    b"f" => Some(Child::Formula { depth: 0 }),
                    _ => None,
                };
                let known = child.is_some();
                cell.child = child.unwrap_or(Child::None);
                known
            }
            Child::Value(_) => false,
            Child::Inline(text) => text.start(name, tag),
            Child::Formula { depth } => {
                *depth += 1;
                true
            }
        };
        if !fine {
            self.give_up();
        }
    }

    /// The end of an element inside a cell: true when it was the cell's own.
    fn end_inside_cell(&mut self, name: &[u8]) -> bool {
        let Some(cell) = &mut self.cell else { return false };
        let value = match (&mut cell.child, name) {
            (Child::None, b"c") => return true,
            (Child::None, _) => return false,
            (Child::Formula { depth }, _) if *depth > 0 => {
                *depth -= 1;
                return false;
            }
            (Child::Formula { .. }, _) => Some(Value::Empty),
            (Child::Value(text), b"v") => {
                let text = std::mem::take(text);
                value_of(&self.shared, cell, &text, &mut self.maker)
            }
            (Child::Value(_), _) => None,
            (Child::Inline(text), b"is") if !text.in_text() => Some(Value::Text(self.maker.share(&text.text))),
            (Child::Inline(text), _) => {
                if text.end(name) {
                    return false;
                }
                None
            }
        };
        match value {
            Some(value) => {
                cell.value = value;
                cell.child = Child::None;
            }
            None => self.give_up(),
        }
        false
    }

    fn end_cell(&mut self) {
        let Some(cell) = self.cell.take() else { return };
        self.col = cell.col.saturating_add(1);
        if let Err(_limit) = self.place(cell) {
            self.give_up();
        }
    }

    fn place(&mut self, cell: OpenCell) -> Result<(), Limit> {
        let (row, col) = (cell.row, cell.col);
        self.in_order &= self.last_read.is_none_or(|(last_row, _)| last_row <= row);
        self.last_read = Some((row, col));
        if let Value::Text(text) = &cell.value {
            check_text(text, row, col, self.limits)?;
        }
        let made = self.maker.make_value(cell.value, cell.style, self.shared.styles);
        place(&mut self.rows, row, col, made, self.width, self.budget)
    }
}

/// A `<v>`'s value in a cell of type `typ` and style `style`; `None` where calamine reads it otherwise
/// or refuses it.
fn value_of(shared: &Shared<'_>, cell: &OpenCell, text: &str, maker: &mut CellMaker) -> Option<Value> {
    let typ = cell.typ;
    Some(match typ {
        CellType::Inline => Value::Empty,
        CellType::FormulaText => Value::Text(maker.share(&excel_unescaped(text))),
        CellType::Iso => Value::Date(Arc::from(text)),
        _ if text.is_empty() => Value::Empty,
        CellType::Shared => Value::Text(Arc::clone(shared.strings.get(digits(text.as_bytes())? as usize)?)),
        CellType::Bool => match text.trim() {
            "" => Value::Empty,
            t if t == "0" || t.eq_ignore_ascii_case("false") => Value::Bool(false),
            t if t == "1" || t.eq_ignore_ascii_case("true") => Value::Bool(true),
            _ => return None,
        },
        CellType::Error => match text {
            "#DIV/0!" | "#N/A" | "#NAME?" | "#NULL!" | "#NUM!" | "#REF!" | "#VALUE!" => Value::Error(Arc::from(text)),
            _ => return None,
        },
        CellType::Number | CellType::Untyped => match fast_float2::parse::<f64, _>(text.as_bytes()) {
            Ok(number) if cell.styled => number_value(shared, cell.style, number),
            Ok(number) => Value::Number(number),
            Err(_) if typ == CellType::Untyped => Value::Text(maker.share(text)),
            Err(_) => return None,
        },
    })
}

/// A figure, or the date or span its style shows it as.
fn number_value(shared: &Shared<'_>, style: usize, number: f64) -> Value {
    let kind = match shared.kinds.get(style) {
        Some(NumberKind::Date) => ExcelDateTimeType::DateTime,
        Some(NumberKind::Duration) => ExcelDateTimeType::TimeDelta,
        _ => return Value::Number(number),
    };
    Value::Date(date_text(&ExcelDateTime::new(number, kind, shared.is_1904)).into())
}

/// A row or column number of at most nine digits.
fn digits(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 9 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// `<row r>`, 1-based, as a 0-based row.
fn row_number(r: &[u8]) -> Option<u32> {
    digits(r)?.checked_sub(1)
}

impl Visitor for SheetReading<'_> {
    fn start(&mut self, name: &[u8], tag: &Tag<'_>, empty: bool) {
        match self.stage {
            Stage::Head => match name {
                b"dimension" => self.dimension(tag),
                b"sheetData" => self.stage = Stage::Rows,
                _ => {}
            },
            Stage::Rows if self.cell.is_some() => self.start_child(name, tag),
            Stage::Rows => match name {
                b"row" => self.start_row(tag),
                b"c" => self.start_cell(tag),
                _ => {}
            },
            Stage::Tail => {}
        }
        if empty {
            self.end(name);
        }
    }

    fn end(&mut self, name: &[u8]) {
        if self.stage != Stage::Rows {
            return;
        }
        if self.cell.is_some() {
            if self.end_inside_cell(name) {
                self.end_cell();
            }
            return;
        }
        match name {
            b"row" => {
                self.row = self.row.saturating_add(1);
                self.col = 0;
            }
            b"sheetData" => self.stage = Stage::Tail,
            _ => {}
        }
    }

    /// Every text until `</sheetData>`: quick-xml refuses a reference left open anywhere calamine reads.
    fn wants_text(&self) -> bool {
        self.stage != Stage::Tail
    }

    /// calamine takes a value's first event for the value: markup before its text makes it empty. A
    /// declaration anywhere may be one quick-xml refuses.
    fn skipped(&mut self, what: Skipped) {
        if what == Skipped::Declaration || matches!(self.cell.as_ref().map(|c| &c.child), Some(Child::Value(_))) {
            self.give_up();
        }
    }

    fn text(&mut self, text: &[u8], cdata: bool) -> Result<(), String> {
        let Some(cell) = self.cell.as_mut().filter(|c| c.reads_text()) else {
            return read_on(cdata || references_closed(text));
        };
        let fine = match &mut cell.child {
            // A simple value is its first piece of text as written; more than one, or markup, and
            // calamine's reading differs.
            Child::Value(value) if !value.is_empty() || cdata => false,
            Child::Value(value) => match cell.typ {
                CellType::FormulaText | CellType::Iso => resolved_into(text, false, value),
                _ => match std::str::from_utf8(text) {
                    Ok(plain) if !plain.contains('&') => {
                        value.push_str(plain);
                        true
                    }
                    _ => false,
                },
            },
            Child::Inline(rich) => rich.text(text, cdata),
            Child::None | Child::Formula { .. } => true,
        };
        read_on(fine)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;
    use zip::ZipWriter;

    use crate::read::grid::sheets_read_both_ways;

    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const RELS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

    /// Formats by style id: 1 a built-in date, 2 an East Asian built-in date (listed without a code),
    /// 3 a custom Chinese date, 4 a span of hours, 5 a percent, 6 bold amounts.
    const STYLES: &str = concat!(
        "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">",
        "<numFmts count=\"2\"><numFmt numFmtId=\"164\" formatCode=\"yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;\"/>",
        "<numFmt numFmtId=\"165\" formatCode=\"[h]:mm\"/></numFmts>",
        "<fonts count=\"2\"><font><sz val=\"11\"/></font><font><b/><sz val=\"11\"/></font></fonts>",
        "<fills count=\"1\"><fill><patternFill patternType=\"none\"/></fill></fills>",
        "<borders count=\"1\"><border/></borders>",
        "<cellXfs count=\"7\"><xf numFmtId=\"14\" fontId=\"0\"/><xf numFmtId=\"14\" fontId=\"0\"/><xf numFmtId=\"31\" fontId=\"0\"/>",
        "<xf numFmtId=\"164\" fontId=\"0\"/><xf numFmtId=\"165\" fontId=\"0\"/><xf numFmtId=\"10\" fontId=\"0\"/>",
        "<xf numFmtId=\"4\" fontId=\"1\" applyAlignment=\"1\"><alignment horizontal=\"center\" wrapText=\"1\"/></xf></cellXfs>",
        "</styleSheet>",
    );

    /// 0 plain, 1 rich text with a phonetic run, 2 kept spaces, 3 references and CDATA, 4 and 5 empty,
    /// 6 line ends and Excel escapes (a carriage return, an escaped escape, a surrogate pair, one split
    /// across two runs and so left as written).
    const STRINGS: &str = concat!(
        "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"6\" uniqueCount=\"6\">",
        "<si><t>项目名称</t></si>",
        "<si><r><rPr><b/></rPr><t>办公</t></r><r><t xml:space=\"preserve\"> 经费</t></r><rPh sb=\"0\" eb=\"1\"><t>バン</t></rPh></si>",
        "<si><t xml:space=\"preserve\">  留空  </t></si>",
        "<si><t>\n  A&amp;B &#x4E2D;&#20013;<![CDATA[<raw>&amp;]]>  </t></si>",
        "<si/><si><t/></si>",
        "<si><r><t>第一行_x000D_\r\n第二行\r_x005F_x000D_ _xD83D__xDCF7_ _xD83D_</t></r><r><t>_xDCF7_ &#13;_x4e2D_</t></r></si>",
        "</sst>",
    );

    fn workbook(sheets: &[&str], date1904: bool) -> Vec<u8> {
        workbook_with_strings(sheets, STRINGS, date1904)
    }

    fn workbook_with_strings(sheets: &[&str], strings: &str, date1904: bool) -> Vec<u8> {
        let entries: String = (1..=sheets.len()).map(|i| format!("<sheet name=\"S{i}\" sheetId=\"{i}\" r:id=\"rId{i}\"/>")).collect();
        let rels: String = (1..=sheets.len())
            .map(|i| format!("<Relationship Id=\"rId{i}\" Type=\"{RELS}/worksheet\" Target=\"worksheets/sheet{i}.xml\"/>"))
            .collect();
        let n = sheets.len();
        let mut parts = vec![
            ("[Content_Types].xml".to_string(), "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>".to_string()),
            (
                "_rels/.rels".into(),
                format!("<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{RELS}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"),
            ),
            (
                "xl/workbook.xml".into(),
                format!("<workbook xmlns=\"{MAIN}\" xmlns:r=\"{RELS}\"><workbookPr date1904=\"{}\"/><sheets>{entries}</sheets></workbook>", u8::from(date1904)),
            ),
            (
                "xl/_rels/workbook.xml.rels".into(),
                format!(
                    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">{rels}<Relationship Id=\"rId{}\" Type=\"{RELS}/styles\" Target=\"styles.xml\"/><Relationship Id=\"rId{}\" Type=\"{RELS}/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>",
                    n + 1,
                    n + 2
                ),
            ),
            ("xl/styles.xml".into(), STYLES.into()),
            ("xl/sharedStrings.xml".into(), strings.into()),
        ];
        for (i, cells) in sheets.iter().enumerate() {
            let xml = format!("<worksheet xmlns=\"{MAIN}\"><dimension ref=\"A1:H40\"/><sheetData>{cells}</sheetData><mergeCells count=\"0\"/></worksheet>");
            parts.push((format!("xl/worksheets/sheet{}.xml", i + 1), xml));
        }
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in parts {
            zip.start_file(name, SimpleFileOptions::default()).unwrap();
            zip.write_all(data.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// Every kind of cell the scanner reads itself, as writers write them.
    const TAKEN: &str = concat!(
        // Shared strings, a bold centred amount, a percent, a figure without a style (read as a
        // figure though style 0 is a date), a blank with a format, an untyped text.
        "<row r=\"1\" spans=\"1:8\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c><c r=\"C1\" t=\"s\"><v>2</v></c>",
        "<c r=\"D1\" t=\"s\"><v>3</v></c><c r=\"E1\" t=\"s\"><v>4</v></c><c r=\"F1\" t=\"s\"><v>5</v></c></row>",
        "<row r=\"2\"><c r=\"A2\" s=\"6\"><v>1234.5</v></c><c r=\"B2\" s=\"5\" t=\"n\"><v>0.8765</v></c><c r=\"C2\"><v>45000</v></c>",
        "<c r=\"D2\" s=\"6\"/><c r=\"E2\"><v>12 万元</v></c><c r=\"F2\"><v></v></c><c r=\"G2\" s=\"6\"><v/></c><c r=\"H2\"><v>-1.5E-3</v></c></row>",
        // Dates in each kind of format, a span, an ISO date.
        "<row r=\"3\"><c r=\"A3\" s=\"1\"><v>44197</v></c><c r=\"B3\" s=\"2\"><v>44197.5</v></c><c r=\"C3\" s=\"3\"><v>44562</v></c>",
        "<c r=\"D3\" s=\"4\"><v>1.25</v></c><c r=\"E3\" t=\"d\"><v>2021-01-01T00:00:00</v></c><c r=\"F3\" s=\"0\"><v>1</v></c></row>",
        // Booleans, errors, formulas with and without results, formula texts with references.
        "<row r=\"4\"><c r=\"A4\" t=\"b\"><v>1</v></c><c r=\"B4\" t=\"b\"><v>FALSE</v></c><c r=\"C4\" t=\"e\"><v>#DIV/0!</v></c>",
        "<c r=\"D4\"><f>SUM(A2:C2)</f><v>46234.5</v></c><c r=\"E4\" s=\"6\"><f t=\"shared\" ref=\"E4:E5\" si=\"0\">A2*2</f></c>",
        "<c r=\"F4\" t=\"str\"><f>A1&amp;\"x\"</f><v>项目名称&amp;x &lt;1&gt;</v></c><c r=\"G4\" t=\"e\"><f>1/0</f><v>#DIV/0!</v></c></row>",
        // Inline strings, plain and rich, with kept and trimmed spaces; an empty one.
        "<row r=\"5\"><c r=\"A5\" t=\"inlineStr\"><is><t> 绩效目标 </t></is></c>",
        "<c r=\"B5\" t=\"inlineStr\"><is><r><t xml:space=\"preserve\">一、</t></r><r><rPr><b/></rPr><t>项目支出</t></r></is></c>",
        "<c r=\"C5\" t=\"inlineStr\"><is></is></c><c r=\"D5\" t=\"inlineStr\"><v>ignored</v><is><t>kept</t></is></c></row>",
        // A row and cells without positions: counted on from the last ones.
        "<row><c t=\"s\"><v>0</v></c><c><v>7</v></c><c r=\"E6\"><v>8</v></c><c><v>9</v></c></row><row/>",
        "<row r=\"9\"><c r=\"A9\"><v>10</v></c></row>",
        // Line ends and Excel escapes in a shared, an inline and a formula's text; `_X…_` and short
        // escapes are no escapes.
        "<row r=\"10\"><c r=\"A10\" t=\"s\"><v>6</v></c><c r=\"B10\" t=\"inlineStr\"><is><t xml:space=\"preserve\">甲\r\n乙\r丙_x000a_丁_X000D_ _x00D_ <![CDATA[\r\n]]></t></is></c>",
        "<c r=\"C10\" t=\"str\"><f>A1</f><v>_x0041_\r\n&#13;_xDC00__xFFFF_</v></c></row>",
        // A cell out of order: read, and the sheet marked as not in row order.
        "<row r=\"3\"><c r=\"H3\"><v>11</v></c></row>",
    );

    #[test]
    fn the_scanner_reads_what_calamine_reads() {
        for date1904 in [false, true] {
            let sheets = sheets_read_both_ways(&workbook(&[TAKEN], date1904)).unwrap();
            let (_, scanned, read) = &sheets[0];
            assert!(!read.starts_with("error"), "{read}");
            assert_eq!(scanned.as_deref(), Some(read.as_str()), "1904: {date1904}");
        }
        // What it reads, spelled out for a few cells, lest both readers be wrong alike.
        let read = &sheets_read_both_ways(&workbook(&[TAKEN], false)).unwrap()[0].2;
        let escaped = ["第一行\\r\\n第二行\\n_x000D_ 📷 �", "� \\r中", "甲\\n乙\\n丙\\n丁_X000D_ _x00D_ \\n", "A\\n\\r�\\u{ffff}"];
        for expected in ["项目名称", "办公 经费", "  留空  ", "A&B 中中<raw>&amp;", "2021-01-01", "一、项目支出", "#DIV/0!", "项目名称&x <1>"].into_iter().chain(escaped) {
            assert!(read.contains(expected), "{expected} in {read}");
        }
        assert!(read.contains("in_order: false"));
    }

    #[test]
    fn what_the_scanner_might_read_otherwise_is_left_to_calamine() {
        let left = [
            "<row r=\"1\"><c r=\"A1\" t=\"x\"><v>1</v></c></row>",
            "<row r=\"1\"><c r=\"a1\"><v>1</v></c></row>",
            "<row r=\"1\"><c r=\"$A$1\"><v>1</v></c></row>",
            "<row r=\"1\"><c r=\"A1\"><v>1<!-- c -->2</v></c></row>",
            "<row r=\"1\"><c r=\"A1\"><v><!-- c -->2</v></c></row>",
            "<row r=\"1\"><c r=\"A1\" r=\"B1\"><v>2</v></c></row>",
            "<row r=\"1\"><c r=\"A1\" t=\"str\"><v><?pi x?>2</v></c></row>",
            "<row r=\"1\"><c r=\"A1\"><v>1&amp;</v></c></row>",
            "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>99</v></c></row>",
            "<row r=\"1\"><c r=\"A1\" t=\"s\"><v> 1</v></c></row>",
            "<row r=\"1\"><c r=\"A1\" t=\"b\"><v>yes</v></c></row>",
            "<row r=\"1\"><c r=\"A1\" t=\"e\"><v>#SPILL!</v></c></row>",
            "<row r=\"1\"><c r=\"A1\" t=\"n\"><v>x</v></c></row>",
            "<row r=\"1\"><c r=\"A1\" s=\"x\"><v>1</v></c></row>",
            "<row r=\"1\"><c r=\"A1\"><extLst/></c></row>",
            "<row r=\"0\"><c r=\"A1\"><v>1</v></c></row>",
            "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a&unknown;</t></is></c></row>",
            "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a<b/>c</t></is></c></row>",
            "<row r=\"1\"><c r=\"XFE1\"><v>1</v></c></row>",
            "<row r=\"1\"><c r=\"A1\"><v>1</v></row>",
        ];
        let sheets = sheets_read_both_ways(&workbook(&left, false)).unwrap();
        assert_eq!(sheets.len(), left.len());
        for ((name, scanned, _), xml) in sheets.iter().zip(left) {
            assert_eq!(scanned, &None, "{name}: {xml}");
        }
    }

    /// Sheets and shared strings bent at random — markup, references, line ends, escapes, spaces and names
    /// cut in, pieces dropped or repeated — are read as calamine reads them, or left to it.
    #[test]
    fn bent_sheets_are_read_as_calamine_reads_them_or_left_to_it() {
        const PIECES: [&str; 22] =
            ["<!--x-->", "&amp;", "&#x41;", "&bad;", " ", "\n", "\r", "\r\n", "&#13;", "_x000D_", "_xD83D_", "_x005F_", "<v>", "</v>", "<c r=\"B9\">", "</c>", "<f>1</f>", "_x0041_", "t=\"s\" ", "s=\"3\" ", "<![CDATA[z]]>", "<is><t>q</t></is>"];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        let (mut taken, mut left) = (0, 0);
        for round in 0..3000 {
            let (mut xml, mut strings) = (TAKEN.to_string(), STRINGS.to_string());
            let bent = if round % 4 == 3 { &mut strings } else { &mut xml };
            for _ in 0..1 + next(3) {
                let at = (0..).map(|_| next(bent.len())).find(|&i| bent.is_char_boundary(i)).unwrap();
                match next(3) {
                    0 => bent.insert_str(at, PIECES[next(PIECES.len())]),
                    1 => {
                        let end = (at + 1 + next(12)).min(bent.len());
                        if bent.is_char_boundary(end) {
                            bent.replace_range(at..end, "");
                        }
                    }
                    _ => {
                        let end = (at + 1 + next(30)).min(bent.len());
                        if bent.is_char_boundary(end) {
                            let piece = bent[at..end].to_string();
                            bent.insert_str(end, &piece);
                        }
                    }
                }
            }
            let Ok(sheets) = sheets_read_both_ways(&workbook_with_strings(&[&xml], &strings, false)) else { continue };
            let (_, scanned, read) = &sheets[0];
            match scanned {
                Some(scanned) => {
                    assert_eq!(scanned, read, "{strings}\n{xml}");
                    taken += 1;
                }
                None => left += 1,
            }
        }
        assert!(taken > 100 && left > 100, "{taken} read, {left} left");
    }

    #[test]
    fn number_formats_are_dates_where_calamine_takes_them_for_dates() {
        use super::{kind_of_code, NumberKind};
        for code in ["yyyy\"年\"m\"月\"d\"日\"", "mm-dd-yy", "h:mm AM/PM", "mm:ss", "m/d/yy h:mm", "yyyy-mm-dd;@"] {
            assert_eq!(kind_of_code(code), NumberKind::Date, "{code}");
        }
        for code in ["General", "0.00%", "#,##0.00", "_(* #,##0.00_);_(* (#,##0.00)", "[Red]0.00", "0.00\"万元\"", "@", "#,##0;[Red]-#,##0"] {
            assert_eq!(kind_of_code(code), NumberKind::Plain, "{code}");
        }
        assert_eq!(kind_of_code("[h]:mm:ss"), NumberKind::Duration);
    }

    /// The scanner against calamine on every .xlsx/.xlsm under `BUDGETLINT_COMPARE_DIR` (real exports,
    /// other projects' files): `cargo test --release -- --ignored scanner_reads_a_folder`.
    #[test]
    #[ignore = "reads the folder named by BUDGETLINT_COMPARE_DIR"]
    fn scanner_reads_a_folder_as_calamine_does() {
        let dir = std::env::var("BUDGETLINT_COMPARE_DIR").expect("BUDGETLINT_COMPARE_DIR");
        let (mut taken, mut left, mut differ) = (0, 0, Vec::new());
        let mut folders = vec![std::path::PathBuf::from(dir)];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(folder).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                    continue;
                }
                let extension = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
                if !["xlsx", "xlsm"].contains(&extension.as_str()) {
                    continue;
                }
                let bytes = std::fs::read(&path).unwrap();
                let Ok(Ok(sheets)) = crate::read::grid::quietly(|| sheets_read_both_ways(&bytes)) else { continue };
                for (name, scanned, read) in sheets {
                    match scanned {
                        None => left += 1,
                        Some(scanned) if scanned == read => taken += 1,
                        Some(_) => differ.push(format!("{} / {name}", path.display())),
                    }
                }
            }
        }
        eprintln!("sheets read by the scanner as calamine reads them: {taken}; left to calamine: {left}; read otherwise: {}", differ.len());
        assert!(differ.is_empty(), "{differ:#?}");
    }
}
