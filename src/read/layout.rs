//! What calamine does not expose of an .xlsx sheet, read in one streaming pass over its XML:
//! column widths, row heights, merged ranges and formula texts.

use std::collections::HashMap;
use std::io::{BufReader, Read, Seek};
use std::sync::atomic::{AtomicBool, Ordering};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader as XmlReader;
use zip::ZipArchive;

use crate::read::grid::Merge;

/// The layout of one sheet, 0-based.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SheetLayout {
    /// (first column, last column, width in character units).
    pub column_widths: Vec<(u32, u32, f64)>,
    /// (row, height in points) for rows with a custom height.
    pub row_heights: Vec<(u32, f64)>,
    pub merges: Vec<Merge>,
    /// Formula text (without `=`) of cells whose formula is written out (shared formulas' followers are not).
    pub formulas: HashMap<(u32, u32), String>,
    /// Cells filled with a shared formula, each with the cell whose text it shares (and shifts).
    pub shared_formulas: HashMap<(u32, u32), (u32, u32)>,
    /// Formula cells that carry no stored result (what openpyxl and some web systems write).
    pub uncached_formulas: Vec<(u32, u32)>,
}

/// The layout of each named sheet, in the order given: a sheet the workbook does not list gets an
/// empty layout, one whose part cannot be parsed its error (the other sheets are not affected).
///
/// # Errors
/// The package itself (zip directory, workbook part, relationships) cannot be read.
/// Stops early (the remaining sheets get an error) once `stop` is set.
pub fn read_xlsx_layouts<R: Read + Seek>(
    reader: R,
    names: &[String],
    stop: &AtomicBool,
) -> Result<Vec<Result<SheetLayout, String>>, String> {
    let mut zip = ZipArchive::new(reader).map_err(|e| e.to_string())?;
    let parts: HashMap<String, String> = workbook_sheets(&mut zip)?.into_iter().map(|s| (s.name, s.part)).collect();
    Ok(names
        .iter()
        .map(|name| match parts.get(name) {
            Some(part) => read_sheet(&mut zip, part, stop),
            None => Ok(SheetLayout::default()),
        })
        .collect())
}

/// A sheet as the workbook part lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetEntry {
    pub name: String,
    /// The last segment of its relationship type, lower-cased: `worksheet`, `chartsheet`,
    /// `dialogsheet`, `xlmacrosheet`, `xlintlmacrosheet`.
    pub kind: String,
    /// The zip path of its part.
    pub part: String,
}

/// The sheets of an .xlsx in workbook order, through workbook.xml and its relationships.
///
/// # Errors
/// The workbook part or its relationships cannot be read.
pub fn workbook_sheets<R: Read + Seek>(zip: &mut ZipArchive<R>) -> Result<Vec<SheetEntry>, String> {
    let mut ids = Vec::new();
    for_each_start(zip, "xl/workbook.xml", |e| {
        if e.local_name().as_ref() == "sheet" {
            if let (Some(name), Some(id)) = (attr(e, "name"), attr_ending(e, ":id")) {
                ids.push((name, id));
            }
        }
    })?;
    let mut targets = HashMap::new();
    for_each_start(zip, "xl/_rels/workbook.xml.rels", |e| {
        if let (Some(id), Some(target)) = (attr(e, "Id"), attr(e, "Target")) {
            let target = target.trim_start_matches('/');
            let full = if target.starts_with("xl/") { target.to_string() } else { format!("xl/{target}") };
            let kind = attr(e, "Type").unwrap_or_default().rsplit('/').next().unwrap_or("").to_ascii_lowercase();
            targets.insert(id, (kind, full));
        }
    })?;
    Ok(ids
        .into_iter()
        .filter_map(|(name, id)| {
            targets.get(&id).map(|(kind, part)| SheetEntry { name, kind: kind.clone(), part: part.clone() })
        })
        .collect())
}

fn for_each_start<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    part: &str,
    mut visit: impl FnMut(&BytesStart<'_>),
) -> Result<(), String> {
    let file = zip.by_name(part).map_err(|e| format!("{part}: {e}"))?;
    let mut xml = XmlReader::from_reader(BufReader::new(file));
    let mut buf = Vec::new();
    loop {
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => visit(&e),
            Ok(Event::Eof) => return Ok(()),
            Err(e) => return Err(format!("{part}: {e}")),
            _ => {}
        }
        buf.clear();
    }
}

fn read_sheet<R: Read + Seek>(zip: &mut ZipArchive<R>, part: &str, stop: &AtomicBool) -> Result<SheetLayout, String> {
    let file = zip.by_name(part).map_err(|e| format!("{part}: {e}"))?;
    let mut xml = XmlReader::from_reader(BufReader::new(file));
    let mut layout = SheetLayout::default();
    let mut buf = Vec::new();
    let mut cell = CellState::default();
    // A shared formula's index (`si`) to the cell that writes its text out.
    let mut shared_masters: HashMap<String, (u32, u32)> = HashMap::new();
    let mut events = 0u32;
    loop {
        events = events.wrapping_add(1);
        if events.is_multiple_of(4096) && stop.load(Ordering::Relaxed) {
            return Err(format!("{part}: stopped"));
        }
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                "f" => cell.formula_starts(&e, &mut layout, &mut shared_masters, true),
                "v" => cell.in_value = true,
                "is" => cell.has_value = true,
                _ => visit(&e, &mut layout, &mut cell),
            },
            Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                "f" => cell.formula_starts(&e, &mut layout, &mut shared_masters, false),
                _ => visit(&e, &mut layout, &mut cell),
            },
            Ok(Event::Text(text)) => {
                if let Some(f) = cell.formula_text.as_mut() {
                    f.push_str(&text.xml10_content());
                } else if cell.in_value && !text.as_ref().trim().is_empty() {
                    cell.has_value = true;
                }
            }
            Ok(Event::GeneralRef(reference)) => {
                if let Some(f) = cell.formula_text.as_mut() {
                    f.push_str(&entity_text(&reference));
                } else if cell.in_value {
                    cell.has_value = true;
                }
            }
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                "f" => {
                    if let (Some(text), Some(at)) = (cell.formula_text.take().filter(|t| !t.is_empty()), cell.at()) {
                        layout.formulas.insert(at, text);
                    }
                }
                "v" => cell.in_value = false,
                "c" => {
                    // The reference is parsed only for a formula without a result: this runs once per cell.
                    if let (true, false) = (cell.has_formula, cell.has_value) {
                        layout.uncached_formulas.extend(cell.at());
                    }
                    cell.clear();
                }
                _ => {}
            },
            Ok(Event::Eof) => return Ok(layout),
            Err(e) => return Err(format!("{part}: {e}")),
            _ => {}
        }
        buf.clear();
    }
}

/// What the reader knows of the `<c>` element it is in.
#[derive(Default)]
struct CellState {
    /// Its reference (`D5`), copied raw and parsed only when a formula needs it: most cells have
    /// none, and this runs once per cell.
    reference: String,
    has_formula: bool,
    has_value: bool,
    in_value: bool,
    /// The text of its `<f>` while it is being read.
    formula_text: Option<String>,
}

impl CellState {
    fn clear(&mut self) {
        self.reference.clear();
        (self.has_formula, self.has_value, self.in_value) = (false, false, false);
        self.formula_text = None;
    }

    fn at(&self) -> Option<(u32, u32)> {
        parse_a1(&self.reference)
    }

    /// An `<f>` element: a formula of its own, the text of a shared one, or a cell that shares one.
    fn formula_starts(
        &mut self,
        e: &BytesStart<'_>,
        layout: &mut SheetLayout,
        masters: &mut HashMap<String, (u32, u32)>,
        has_text: bool,
    ) {
        self.has_formula = true;
        let Some(at) = self.at() else { return };
        let shared = attr(e, "t").as_deref() == Some("shared");
        let index = attr(e, "si");
        match (shared, index, attr(e, "ref").is_some()) {
            (true, Some(index), true) => {
                masters.insert(index, at);
            }
            (true, Some(index), false) => {
                // A shared formula's followers carry no text; only the master's is written out.
                if let Some(master) = masters.get(&index).filter(|m| **m != at) {
                    layout.shared_formulas.insert(at, *master);
                }
                return;
            }
            _ => {}
        }
        if has_text {
            self.formula_text = Some(String::new());
        }
    }
}

/// Records what an element states.
fn visit(e: &BytesStart<'_>, layout: &mut SheetLayout, cell: &mut CellState) {
    match e.local_name().as_ref() {
        "col" => {
            let width = attr(e, "width").and_then(|w| w.parse::<f64>().ok()).filter(|w| w.is_finite());
            let (min, max) = (number(e, "min"), number(e, "max"));
            if let (Some(min @ 1..=EXCEL_COLUMNS), Some(max), Some(width)) = (min, max, width) {
                layout.column_widths.push((min - 1, max.saturating_sub(1).clamp(min - 1, EXCEL_COLUMNS - 1), width));
            }
        }
        "row" => {
            if !attr(e, "customHeight").is_some_and(|v| v == "1" || v == "true") {
                return;
            }
            let height = attr(e, "ht").and_then(|h| h.parse::<f64>().ok()).filter(|h| h.is_finite());
            if let (Some(row @ 1..=EXCEL_ROWS), Some(height)) = (number(e, "r"), height) {
                layout.row_heights.push((row - 1, height));
            }
        }
        "c" => {
            cell.clear();
            if let Some(r) = e.attributes().with_checks(false).flatten().find(|a| a.key.as_ref() == "r") {
                cell.reference.push_str(&r.value);
            }
        }
        "mergeCell" => {
            if let Some((first, last)) = attr(e, "ref").as_deref().and_then(|r| r.split_once(':')) {
                if let (Some(a), Some(b)) = (parse_a1(first), parse_a1(last)) {
                    layout.merges.push(Merge { first_row: a.0, first_col: a.1, last_row: b.0, last_col: b.1 });
                }
            }
        }
        _ => {}
    }
}

/// `&lt;` and friends inside a formula's text.
fn entity_text(reference: &quick_xml::events::BytesRef<'_>) -> String {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        return c.to_string();
    }
    match reference.xml10_content().as_ref() {
        "lt" => "<".into(),
        "gt" => ">".into(),
        "amp" => "&".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        other => format!("&{other};"),
    }
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

fn attr_ending(e: &BytesStart<'_>, suffix: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref().ends_with(suffix))
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

fn number(e: &BytesStart<'_>, name: &str) -> Option<u32> {
    attr(e, name)?.parse().ok()
}

/// Excel's last row and column, 1-based.
const EXCEL_ROWS: u32 = 1_048_576;
const EXCEL_COLUMNS: u32 = 16_384;

/// `D5` → (4, 3); `$D$5` too; `None` past Excel's 1,048,576 rows and 16,384 columns.
pub fn parse_a1(text: &str) -> Option<(u32, u32)> {
    let text = text.replace('$', "");
    let split = text.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = text.split_at(split);
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let col =
        letters.bytes().try_fold(0u32, |acc, b| b.is_ascii_uppercase().then(|| acc * 26 + u32::from(b - b'A' + 1)))?;
    let row: u32 = digits.parse().ok()?;
    (1..=EXCEL_ROWS).contains(&row).then_some(())?;
    (col <= EXCEL_COLUMNS).then(|| (row - 1, col - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_references_parse() {
        assert_eq!(parse_a1("A1"), Some((0, 0)));
        assert_eq!(parse_a1("$AA$10"), Some((9, 26)));
        assert_eq!(parse_a1("10"), None);
        assert_eq!(parse_a1("A0"), None);
        assert_eq!(parse_a1("XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(parse_a1("XFE1"), None);
        assert_eq!(parse_a1("A1048577"), None);
        assert_eq!(parse_a1("ZZZZZZZZZZZZ1"), None);
        assert_eq!(parse_a1("A99999999999999999999"), None);
    }
}
