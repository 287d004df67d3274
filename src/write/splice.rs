//! Saving an annotated copy whose sheets' bulk cells budgetlint writes ([`super::bulk_cells`]): the
//! package rust_xlsxwriter saved is copied entry by entry, compressed bytes as they are, but for those
//! sheets, whose `<sheetData>` gets the bulk cells merged with rust_xlsxwriter's own.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use rust_xlsxwriter::XlsxError;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use super::bulk_cells::{widened, Bounds, Placement, RowWriter};
use crate::model::CellRef;
use crate::read::grid::Grid;
use crate::read::layout::parse_a1;
use crate::read::xml_scan::Tag;

/// A sheet of the package whose bulk cells are still to be written.
pub(super) struct SplicedSheet<'g> {
    /// Its part in the package, such as `xl/worksheets/sheet2.xml`.
    pub(super) part: String,
    pub(super) grid: Cow<'g, Grid>,
    pub(super) placement: Placement,
}

/// The XML handed over at a time from the thread writing the rows to the one deflating them.
const CHUNK_BYTES: usize = 1 << 20;
const CHUNKS_AHEAD: usize = 4;

/// Writes `package` (an .xlsx rust_xlsxwriter saved) to `out` with the bulk cells of `sheets` merged in.
///
/// # Errors
/// A package or sheet not as rust_xlsxwriter writes them, and what writing to `out` reports.
pub(super) fn save_spliced(package: &[u8], sheets: &[SplicedSheet<'_>], level: u8, out: impl Write + Send) -> Result<(), XlsxError> {
    let mut archive = ZipArchive::new(Cursor::new(package))?;
    let mut zip = ZipWriter::new_stream(out);
    // As rust_xlsxwriter writes its entries.
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(i64::from(level)))
        .unix_permissions(0o600)
        .last_modified_time(DateTime::default());
    for index in 0..archive.len() {
        let name = archive.name_for_index(index).transpose()?.map(|name| name.into_owned()).unwrap_or_default();
        match sheets.iter().find(|s| s.part == name) {
            Some(sheet) => {
                let mut xml = String::new();
                archive.by_index(index)?.read_to_string(&mut xml)?;
                zip.start_file(name, options)?;
                write_sheet(sheet, &xml, &mut zip)?;
            }
            None => zip.raw_copy_file(archive.by_index_raw(index)?)?,
        }
    }
    zip.finish()?;
    Ok(())
}

fn write_sheet(sheet: &SplicedSheet<'_>, xml: &str, out: &mut impl Write) -> Result<(), XlsxError> {
    let written = WrittenSheet::parse(xml).ok_or_else(|| XlsxError::CustomError(format!("{}: no <sheetData> as expected", sheet.part)))?;
    let style_of_look = written.styles_of(&sheet.placement);
    let row_writer = RowWriter::new(&sheet.grid, &sheet.placement, style_of_look);
    let end = sheet.grid.height().max(written.rows.keys().next_back().map_or(0, |last| last + 1));
    out.write_all(written.head_before_dimension.as_bytes())?;
    out.write_all(dimension(written.dimension, sheet.placement.bounds()).as_bytes())?;
    out.write_all(written.head_after_dimension.as_bytes())?;
    let write_rows = |send: &mut dyn FnMut(Vec<u8>) -> bool| {
        // Grown as needed: most sheets are far smaller than a chunk.
        let mut chunk = Vec::new();
        for row in 0..end {
            let (attributes, cells) = written.rows.get(&row).map_or((None, &[][..]), |r| (Some(r.attributes.as_str()), r.cells.as_slice()));
            row_writer.write_row(row, attributes, cells, &mut chunk);
            if chunk.len() >= CHUNK_BYTES && !send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_BYTES + CHUNK_BYTES / 8))) {
                return;
            }
        }
        send(chunk);
    };
    if rayon::current_thread_index().is_some() {
        // A batch's worker: the other cores have files of their own.
        let mut failed = None;
        write_rows(&mut |chunk| match out.write_all(&chunk) {
            Ok(()) => true,
            Err(error) => {
                failed = Some(error);
                false
            }
        });
        if let Some(error) = failed {
            return Err(error.into());
        }
    } else {
        deflate_while_writing(write_rows, out)?;
    }
    out.write_all(b"</sheetData>")?;
    out.write_all(written.after_data.as_bytes())?;
    Ok(())
}

/// Runs `write_rows` on another thread, writing each chunk it sends to `out` (where the zip writer
/// deflates it) as it comes.
fn deflate_while_writing(write_rows: impl FnOnce(&mut dyn FnMut(Vec<u8>) -> bool) + Send, out: &mut impl Write) -> Result<(), XlsxError> {
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<u8>>(CHUNKS_AHEAD);
        let writer = scope.spawn(move || write_rows(&mut |chunk| send.send(chunk).is_ok()));
        let mut result = Ok(());
        for chunk in receive.iter() {
            if let Err(error) = out.write_all(&chunk) {
                result = Err(error.into());
                // The writer stops at its next chunk.
                break;
            }
        }
        drop(receive);
        let joined = writer.join().map_err(|_| XlsxError::CustomError("internal error: the sheet's row writer panicked".into()));
        result.and(joined)
    })
}

/// rust_xlsxwriter's `<dimension ref>` of the cells it wrote, grown to the bulk's.
fn dimension(written: Option<Bounds>, bulk: Option<Bounds>) -> String {
    let bounds = written.map(|written| widened(bulk, written)).or(bulk);
    let reference = match bounds {
        None => "A1".to_string(),
        Some((r0, c0, r1, c1)) if (r0, c0) == (r1, c1) => CellRef::new(r0, c0).to_string(),
        Some((r0, c0, r1, c1)) => format!("{}:{}", CellRef::new(r0, c0), CellRef::new(r1, c1)),
    };
    format!("<dimension ref=\"{reference}\"/>")
}

/// A sheet as rust_xlsxwriter wrote it, cut around its `<dimension>` and its `<sheetData>`.
struct WrittenSheet<'x> {
    head_before_dimension: &'x str,
    /// From after `<dimension …/>` up to `<sheetData>` included.
    head_after_dimension: String,
    /// The cells' bounds, when any row has one.
    dimension: Option<Bounds>,
    rows: BTreeMap<u32, WrittenRow<'x>>,
    /// What follows `</sheetData>` (or `<sheetData/>`).
    after_data: &'x str,
}

struct WrittenRow<'x> {
    /// The `<row>` element's attributes, `r` included and `spans` left out (the bulk's cells widen them).
    attributes: String,
    /// Each cell's XML, with its column, in order.
    cells: Vec<(u32, &'x str)>,
}

impl<'x> WrittenSheet<'x> {
    fn parse(xml: &'x str) -> Option<WrittenSheet<'x>> {
        let dimension_start = xml.find("<dimension ")?;
        let dimension_end = dimension_start + xml[dimension_start..].find("/>")? + 2;
        let (data_start, data_open_end, data_end, tail_start) = match xml.find("<sheetData/>") {
            Some(at) => (at, at + "<sheetData/>".len(), at + "<sheetData/>".len(), at + "<sheetData/>".len()),
            None => {
                let start = xml.find("<sheetData>")?;
                let end = xml.find("</sheetData>")?;
                (start, start + "<sheetData>".len(), end, end + "</sheetData>".len())
            }
        };
        if !(dimension_end <= data_start && data_open_end <= data_end) {
            return None;
        }
        let rows = parse_rows(&xml[data_open_end..data_end])?;
        let mut dimension = None;
        for (&row, written) in &rows {
            for &(col, _) in &written.cells {
                dimension = Some(widened(dimension, (row, col, row, col)));
            }
        }
        Some(WrittenSheet {
            head_before_dimension: &xml[..dimension_start],
            head_after_dimension: format!("{}<sheetData>", &xml[dimension_end..data_start]),
            dimension,
            rows,
            after_data: &xml[tail_start..],
        })
    }

    /// The style index rust_xlsxwriter gave each look's sample cell (0 where it wrote none: the
    /// look's format is Excel's default).
    fn styles_of(&self, placement: &Placement) -> Vec<u32> {
        let mut styles = Vec::new();
        for (look, (row, col)) in placement.look_samples() {
            let cell = self.rows.get(&row).and_then(|r| r.cells.iter().find(|(c, _)| *c == col));
            let attributes = cell.and_then(|(_, xml)| next_tag(xml, "<c "));
            let style = attributes.and_then(|tag| attribute(tag.attributes, "s")?.parse().ok()).unwrap_or(0);
            if styles.len() <= look {
                styles.resize(look + 1, 0);
            }
            styles[look] = style;
        }
        styles
    }
}

fn parse_rows(data: &str) -> Option<BTreeMap<u32, WrittenRow<'_>>> {
    let mut rows = BTreeMap::new();
    let mut rest = data;
    while let Some(tag) = next_tag(rest, "<row ") {
        let row: u32 = attribute(tag.attributes, "r")?.parse().ok()?;
        let attributes = without_attribute(tag.attributes, " spans=\"");
        let mut cells = Vec::new();
        rest = &rest[tag.end..];
        if !tag.empty {
            let row_end = rest.find("</row>")?;
            let mut inside = &rest[..row_end];
            while let Some(cell) = next_tag(inside, "<c ") {
                let cell_end = if cell.empty { cell.end } else { cell.end + inside[cell.end..].find("</c>")? + "</c>".len() };
                let (_, col) = parse_a1(attribute(cell.attributes, "r")?)?;
                cells.push((col, &inside[cell.start..cell_end]));
                inside = &inside[cell_end..];
            }
            rest = &rest[row_end + "</row>".len()..];
        }
        rows.insert(row.checked_sub(1)?, WrittenRow { attributes, cells });
    }
    Some(rows)
}

/// A start tag found in rust_xlsxwriter's XML, whose attribute values hold no `>`.
struct StartTag<'x> {
    /// Where its `<` is, and where the tag ends (after its `>`).
    start: usize,
    end: usize,
    /// Its attributes' text, with the space before them.
    attributes: &'x str,
    /// `<c …/>`, with no content.
    empty: bool,
}

/// The first start tag in `text` that begins with `opening` (such as `<row `).
fn next_tag<'x>(text: &'x str, opening: &str) -> Option<StartTag<'x>> {
    let start = text.find(opening)?;
    let close = start + text[start..].find('>')?;
    let empty = text[..close].ends_with('/');
    let attributes = &text[start + opening.len() - 1..if empty { close - 1 } else { close }];
    Some(StartTag { start, end: close + 1, attributes, empty })
}

fn attribute<'x>(attributes: &'x str, key: &str) -> Option<&'x str> {
    std::str::from_utf8(Tag::new(attributes.as_bytes()).raw(key)?).ok()
}

fn without_attribute(text: &str, name: &str) -> String {
    match text.find(name) {
        Some(start) => {
            let value_start = start + name.len();
            let end = text[value_start..].find('"').map_or(text.len(), |e| value_start + e + 1);
            format!("{}{}", &text[..start], &text[end..])
        }
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHEET: &str = concat!(
        r#"<?xml version="1.0"?><worksheet><dimension ref="B2:C3"/><sheetViews/><sheetData>"#,
        r#"<row r="2" spans="2:3" ht="30" customHeight="1"><c r="B2" s="4"/><c r="C2" s="5" t="inlineStr"><is><t>a&lt;/c&gt;</t></is></c></row>"#,
        r#"<row r="3" spans="2:3"/>"#,
        r#"</sheetData><mergeCells count="0"/></worksheet>"#,
    );

    #[test]
    fn rust_xlsxwriters_sheet_is_cut_around_its_cells() {
        let sheet = WrittenSheet::parse(SHEET).unwrap();
        assert_eq!(sheet.head_before_dimension, r#"<?xml version="1.0"?><worksheet>"#);
        assert_eq!(sheet.head_after_dimension, "<sheetViews/><sheetData>");
        assert_eq!(sheet.after_data, r#"<mergeCells count="0"/></worksheet>"#);
        assert_eq!(sheet.dimension, Some((1, 1, 1, 2)));
        let row = &sheet.rows[&1];
        assert_eq!(row.attributes, r#" r="2" ht="30" customHeight="1""#);
        assert_eq!(row.cells, vec![(1, r#"<c r="B2" s="4"/>"#), (2, r#"<c r="C2" s="5" t="inlineStr"><is><t>a&lt;/c&gt;</t></is></c>"#)]);
        assert_eq!(sheet.rows[&2].attributes, r#" r="3""#);
        assert!(sheet.rows[&2].cells.is_empty());

        let empty = WrittenSheet::parse(r#"<worksheet><dimension ref="A1"/><sheetData/><pageMargins/></worksheet>"#).unwrap();
        assert!(empty.rows.is_empty() && empty.dimension.is_none());
        assert_eq!(empty.after_data, "<pageMargins/></worksheet>");
        assert!(WrittenSheet::parse("<worksheet><sheetData/></worksheet>").is_none(), "no dimension");
        assert!(WrittenSheet::parse(r#"<worksheet><dimension ref="A1"/><sheetData><row r="x"></row></sheetData></worksheet>"#).is_none());
    }

    #[test]
    fn the_dimension_covers_both_writers_cells() {
        assert_eq!(dimension(None, None), r#"<dimension ref="A1"/>"#);
        assert_eq!(dimension(Some((1, 1, 1, 1)), None), r#"<dimension ref="B2"/>"#);
        assert_eq!(dimension(Some((1, 1, 2, 2)), Some((0, 3, 99, 3))), r#"<dimension ref="B1:D100"/>"#);
    }
}
