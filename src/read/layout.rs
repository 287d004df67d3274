//! What calamine does not expose of an .xlsx sheet, read in one streaming pass over its XML:
//! column widths, row heights, merged ranges and formula texts.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

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
}

/// The layout of each named sheet, in the order given; an unreadable part gives an empty layout.
pub fn read_xlsx_layouts(path: &Path, names: &[String]) -> Result<Vec<SheetLayout>, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let mut zip = ZipArchive::new(BufReader::new(file)).map_err(|e| e.to_string())?;
    let parts = sheet_parts(&mut zip)?;
    names
        .iter()
        .map(|name| match parts.get(name) {
            Some(part) => read_sheet(&mut zip, part),
            None => Ok(SheetLayout::default()),
        })
        .collect()
}

/// Sheet name → zip path of its XML, through workbook.xml and its relationships.
fn sheet_parts<R: Read + Seek>(zip: &mut ZipArchive<R>) -> Result<HashMap<String, String>, String> {
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
            targets.insert(id, full);
        }
    })?;
    Ok(ids.into_iter().filter_map(|(name, id)| targets.get(&id).map(|t| (name, t.clone()))).collect())
}

fn for_each_start<R: Read + Seek>(zip: &mut ZipArchive<R>, part: &str, mut visit: impl FnMut(&BytesStart<'_>)) -> Result<(), String> {
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

fn read_sheet<R: Read + Seek>(zip: &mut ZipArchive<R>, part: &str) -> Result<SheetLayout, String> {
    let file = zip.by_name(part).map_err(|e| format!("{part}: {e}"))?;
    let mut xml = XmlReader::from_reader(BufReader::new(file));
    let mut layout = SheetLayout::default();
    let mut buf = Vec::new();
    // The reference of the current cell, copied raw and parsed only when a formula follows:
    // most cells have none, and this runs once per cell.
    let mut cell = String::with_capacity(8);
    let mut formula: Option<String> = None;
    loop {
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                formula = visit(&e, &mut layout, &mut cell).then(String::new);
            }
            Ok(Event::Empty(e)) => {
                visit(&e, &mut layout, &mut cell);
            }
            Ok(Event::Text(text)) => {
                if let Some(f) = formula.as_mut() {
                    f.push_str(&text.xml10_content());
                }
            }
            Ok(Event::GeneralRef(reference)) => {
                if let Some(f) = formula.as_mut() {
                    f.push_str(&entity_text(&reference));
                }
            }
            Ok(Event::End(_)) => {
                if let Some(text) = formula.take().filter(|t| !t.is_empty()) {
                    if let Some(at) = parse_a1(&cell) {
                        layout.formulas.insert(at, text);
                    }
                }
            }
            Ok(Event::Eof) => return Ok(layout),
            Err(e) => return Err(format!("{part}: {e}")),
            _ => {}
        }
        buf.clear();
    }
}

/// Records what an element states; true when a formula's text follows.
fn visit(e: &BytesStart<'_>, layout: &mut SheetLayout, cell: &mut String) -> bool {
    match e.local_name().as_ref() {
        "col" => {
            let (min, max, width) = (number(e, "min"), number(e, "max"), attr(e, "width").and_then(|w| w.parse().ok()));
            if let (Some(min), Some(max), Some(width)) = (min, max, width) {
                layout.column_widths.push((min.saturating_sub(1), max.saturating_sub(1).min(16_383), width));
            }
        }
        "row" => {
            let custom = attr(e, "customHeight").is_some_and(|v| v == "1" || v == "true");
            if let (true, Some(row), Some(height)) = (custom, number(e, "r"), attr(e, "ht").and_then(|h| h.parse().ok())) {
                layout.row_heights.push((row.saturating_sub(1), height));
            }
        }
        "c" => {
            cell.clear();
            if let Some(r) = e.attributes().with_checks(false).flatten().find(|a| a.key.as_ref() == "r") {
                cell.push_str(&r.value);
            }
        }
        "f" => {
            // A shared formula's followers carry no text; only the master's is written out.
            let follower = attr(e, "t").as_deref() == Some("shared") && attr(e, "ref").is_none();
            return !follower;
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
    false
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
    e.attributes().flatten().find(|a| a.key.as_ref() == name).and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

fn attr_ending(e: &BytesStart<'_>, suffix: &str) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.as_ref().ends_with(suffix)).and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

fn number(e: &BytesStart<'_>, name: &str) -> Option<u32> {
    attr(e, name)?.parse().ok()
}

/// `D5` → (4, 3); `$D$5` too.
pub fn parse_a1(text: &str) -> Option<(u32, u32)> {
    let text = text.replace('$', "");
    let split = text.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = text.split_at(split);
    if letters.is_empty() {
        return None;
    }
    let col = letters.bytes().try_fold(0u32, |acc, b| b.is_ascii_uppercase().then(|| acc * 26 + u32::from(b - b'A' + 1)))?;
    let row: u32 = digits.parse().ok()?;
    (row > 0).then(|| (row - 1, col - 1))
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
    }
}
