//! What calamine does not expose of an .xlsx sheet, read in one streaming pass over its XML:
//! column widths, row heights, merged ranges and formula texts.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Read, Seek};
use std::sync::atomic::AtomicBool;

use zip::ZipArchive;

use crate::read::grid::{Merge, EXCEL_COLUMNS, EXCEL_ROWS};
use crate::read::xml_scan::{self, Tag, Visitor};

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
    for_each_start(zip, "xl/workbook.xml", |name, tag| {
        if name == b"sheet" {
            if let (Some(name), Some(id)) = (tag.value("name"), tag.value_ending(":id")) {
                ids.push((name, id));
            }
        }
    })?;
    let mut targets = HashMap::new();
    for_each_start(zip, "xl/_rels/workbook.xml.rels", |_, tag| {
        if let (Some(id), Some(target)) = (tag.value("Id"), tag.value("Target")) {
            let target = target.trim_start_matches('/');
            let full = if target.starts_with("xl/") { target.to_string() } else { format!("xl/{target}") };
            let kind = tag.value("Type").unwrap_or_default().rsplit('/').next().unwrap_or("").to_ascii_lowercase();
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

/// Calls `visit` with each start tag of `part` (an empty element's too), by its local name.
fn for_each_start<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    part: &str,
    visit: impl FnMut(&[u8], &Tag<'_>),
) -> Result<(), String> {
    let file = zip.by_name(part).map_err(|e| format!("{part}: {e}"))?;
    xml_scan::scan(file, &mut Starts(visit), &AtomicBool::new(false)).map_err(|e| format!("{part}: {e}"))
}

/// A visitor of start tags alone.
struct Starts<F>(F);

impl<F: FnMut(&[u8], &Tag<'_>)> Visitor for Starts<F> {
    fn start(&mut self, name: &[u8], tag: &Tag<'_>, _empty: bool) {
        (self.0)(name, tag);
    }

    fn end(&mut self, _name: &[u8]) {}

    fn wants_text(&self) -> bool {
        false
    }

    fn text(&mut self, _text: &[u8], _cdata: bool) -> Result<(), String> {
        Ok(())
    }
}

fn read_sheet<R: Read + Seek>(zip: &mut ZipArchive<R>, part: &str, stop: &AtomicBool) -> Result<SheetLayout, String> {
    let file = zip.by_name(part).map_err(|e| format!("{part}: {e}"))?;
    let mut reading = LayoutReading::default();
    xml_scan::scan(file, &mut reading, stop).map_err(|e| format!("{part}: {e}"))?;
    Ok(reading.layout)
}

/// What the pass over a sheet has gathered, and where in the sheet it is.
#[derive(Default)]
struct LayoutReading {
    layout: SheetLayout,
    cell: CellState,
    /// A shared formula's index (`si`) to the cell that writes its text out.
    shared_masters: HashMap<String, (u32, u32)>,
}

impl Visitor for LayoutReading {
    fn start(&mut self, name: &[u8], tag: &Tag<'_>, empty: bool) {
        let layout = &mut self.layout;
        match name {
            b"c" => {
                self.cell.clear();
                if let Some(r) = tag.raw("r") {
                    self.cell.reference.push_str(&String::from_utf8_lossy(r));
                }
            }
            b"f" => self.cell.formula_starts(tag, layout, &mut self.shared_masters, !empty),
            b"v" => self.cell.in_value = !empty,
            b"is" => self.cell.has_value |= !empty,
            b"row" => row_height(tag, layout),
            b"col" => column_width(tag, layout),
            b"mergeCell" => merge(tag, layout),
            _ => {}
        }
    }

    fn end(&mut self, name: &[u8]) {
        let cell = &mut self.cell;
        match name {
            b"f" => {
                if let (Some(text), Some(at)) = (cell.formula_text.take().filter(|t| !t.is_empty()), cell.at()) {
                    self.layout.formulas.insert(at, text);
                }
            }
            b"v" => cell.in_value = false,
            b"c" => {
                // The reference is parsed only for a formula without a result: this runs once per cell.
                if let (true, false) = (cell.has_formula, cell.has_value) {
                    self.layout.uncached_formulas.extend(cell.at());
                }
                cell.clear();
            }
            _ => {}
        }
    }

    fn wants_text(&self) -> bool {
        let cell = &self.cell;
        cell.formula_text.is_some() || (cell.in_value && !cell.has_value)
    }

    fn text(&mut self, text: &[u8], cdata: bool) -> Result<(), String> {
        let cell = &mut self.cell;
        if let Some(formula) = cell.formula_text.as_mut() {
            // XML's line ends, as written (a CR by reference stays): CR LF and a lone CR read as LF.
            let text = String::from_utf8_lossy(text).replace("\r\n", "\n").replace('\r', "\n");
            formula.push_str(&if cdata { Cow::Borrowed(text.as_str()) } else { xml_scan::unescape(&text)? });
        } else if text.iter().any(|b| !b.is_ascii_whitespace()) {
            cell.has_value = true;
        }
        Ok(())
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
    fn formula_starts(&mut self, tag: &Tag<'_>, layout: &mut SheetLayout, masters: &mut HashMap<String, (u32, u32)>, has_text: bool) {
        self.has_formula = true;
        let Some(at) = self.at() else { return };
        let shared = tag.value("t").as_deref() == Some("shared");
        match (shared, tag.value("si"), tag.raw("ref").is_some()) {
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

fn column_width(tag: &Tag<'_>, layout: &mut SheetLayout) {
    let width = tag.value("width").and_then(|w| w.parse::<f64>().ok()).filter(|w| w.is_finite());
    let (min, max) = (number(tag, "min"), number(tag, "max"));
    if let (Some(min @ 1..=EXCEL_COLUMNS), Some(max), Some(width)) = (min, max, width) {
        layout.column_widths.push((min - 1, max.saturating_sub(1).clamp(min - 1, EXCEL_COLUMNS - 1), width));
    }
}

fn row_height(tag: &Tag<'_>, layout: &mut SheetLayout) {
    if !tag.raw("customHeight").is_some_and(|v| v == b"1" || v == b"true") {
        return;
    }
    let height = tag.value("ht").and_then(|h| h.parse::<f64>().ok()).filter(|h| h.is_finite());
    if let (Some(row @ 1..=EXCEL_ROWS), Some(height)) = (number(tag, "r"), height) {
        layout.row_heights.push((row - 1, height));
    }
}

fn merge(tag: &Tag<'_>, layout: &mut SheetLayout) {
    if let Some((first, last)) = tag.value("ref").as_deref().and_then(|r| r.split_once(':')) {
        if let (Some(a), Some(b)) = (parse_a1(first), parse_a1(last)) {
            layout.merges.push(Merge { first_row: a.0, first_col: a.1, last_row: b.0, last_col: b.1 });
        }
    }
}

fn number(tag: &Tag<'_>, name: &str) -> Option<u32> {
    tag.value(name)?.parse().ok()
}

/// `D5` → (4, 3); `$D$5` too; `None` past Excel's 1,048,576 rows and 16,384 columns.
pub fn parse_a1(text: &str) -> Option<(u32, u32)> {
    match text.contains('$') {
        true => a1_position(text.replace('$', "").as_bytes()),
        false => a1_position(text.as_bytes()),
    }
}

/// `D5` → (4, 3), as a cell's `r` is written: upper-case letters, then the row; `None` otherwise and
/// past Excel's bounds.
pub(crate) fn a1_position(reference: &[u8]) -> Option<(u32, u32)> {
    let letters = reference.iter().take_while(|b| b.is_ascii_uppercase()).count();
    let digits = &reference[letters..];
    if letters == 0 || letters > 3 || digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let col = reference[..letters].iter().fold(0u32, |n, b| n * 26 + u32::from(b - b'A') + 1);
    let row = digits.iter().try_fold(0u32, |n, b| n.checked_mul(10)?.checked_add(u32::from(b - b'0')))?;
    ((1..=EXCEL_ROWS).contains(&row) && col <= EXCEL_COLUMNS).then(|| (row - 1, col - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout_of(xml: &str) -> SheetLayout {
        let mut reading = LayoutReading::default();
        xml_scan::scan(xml.as_bytes(), &mut reading, &AtomicBool::new(false)).unwrap();
        reading.layout
    }

    #[test]
    fn a_sheet_gives_its_widths_heights_merges_and_formulas() {
        let layout = layout_of(concat!(
            "<x:worksheet xmlns:x=\"main\"><x:cols><x:col min=\"2\" max=\"3\" width=\"20.5\"/></x:cols><x:sheetData>",
            "<x:row r=\"1\" ht=\"30\" customHeight=\"1\"><x:c r=\"A1\"><x:f>IF(B1&gt;0,\"是\",\"否\")&#x0D;\r\nC1</x:f><x:v>是</x:v></x:c>",
            "<x:c r=\"B1\"><x:f t=\"shared\" ref=\"B1:B3\" si=\"0\">C1*2</x:f><x:v> </x:v></x:c></x:row>",
            "<x:row r=\"2\" ht=\"40\"><x:c r=\"B2\"><x:f t=\"shared\" si=\"0\"/><x:v>4</x:v></x:c>",
            "<x:c r=\"C2\" t=\"inlineStr\"><x:f><![CDATA[D2&\"元\"]]></x:f><x:is><x:t>5元</x:t></x:is></x:c></x:row>",
            "</x:sheetData><x:mergeCells><x:mergeCell ref=\"A3:B4\"/></x:mergeCells></x:worksheet>",
        ));
        assert_eq!(layout.column_widths, vec![(1, 2, 20.5)]);
        // Row 2's height is not custom.
        assert_eq!(layout.row_heights, vec![(0, 30.0)]);
        assert_eq!(layout.merges, vec![Merge { first_row: 2, first_col: 0, last_row: 3, last_col: 1 }]);
        assert_eq!(layout.formulas[&(0, 0)], "IF(B1>0,\"是\",\"否\")\r\nC1");
        assert_eq!(layout.formulas[&(0, 1)], "C1*2");
        assert_eq!(layout.formulas[&(1, 2)], "D2&\"元\"");
        assert_eq!(layout.shared_formulas, HashMap::from([((1, 1), (0, 1))]));
        // B1's value is blank: Excel has not computed it.
        assert_eq!(layout.uncached_formulas, vec![(0, 1)]);
    }

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
