//! The bulk of a copied sheet's cells, written as SpreadsheetML by budgetlint itself.
//!
//! rust_xlsxwriter keeps every cell it is given in a table of its own and assembles the sheet's XML
//! from it on one core only once the whole workbook is saved: for a 100,000-row list, most of the
//! time `check -o` spends after the check. A copied sheet's plain cells (numbers, texts, booleans,
//! with the format of their look) need none of that: they are written here straight from the grid,
//! while the XML already written is deflated on the other core. rust_xlsxwriter still writes
//! everything else of the sheet — widths, heights, merges and the cells under them, the finding cells
//! with their fills and notes, any cell whose value needs its escaping rules, and one cell of each
//! look, whose style index the bulk then takes — and [`super::splice`] merges the two by position.

use std::collections::HashSet;

use crate::model::CellRef;
use crate::read::grid::{Grid, GridCell, Value};

/// Where, in a sheet being copied, rust_xlsxwriter writes the cells and where the bulk does.
#[derive(Debug, Clone, Default)]
pub(super) struct Placement {
    /// Cells rust_xlsxwriter writes (or leaves blank): the bulk skips them.
    by_writer: HashSet<(u32, u32)>,
    /// Rows holding one of `by_writer`, so the other rows' cells skip the lookup.
    rows_by_writer: Vec<bool>,
    /// For each look, a cell rust_xlsxwriter wrote with that look's format (no fill).
    look_samples: Vec<Option<(u32, u32)>>,
    bounds: Option<Bounds>,
}

impl Placement {
    pub(super) fn new(height: u32) -> Placement {
        Placement { rows_by_writer: vec![false; height as usize], ..Placement::default() }
    }

    /// Leaves a cell to rust_xlsxwriter.
    pub(super) fn leave_to_writer(&mut self, row: u32, col: u32) {
        if let Some(flag) = self.rows_by_writer.get_mut(row as usize) {
            *flag = true;
        }
        self.by_writer.insert((row, col));
    }

    pub(super) fn is_left_to_writer(&self, row: u32, col: u32) -> bool {
        self.rows_by_writer.get(row as usize).copied().unwrap_or(false) && self.by_writer.contains(&(row, col))
    }

    /// Whether the bulk still needs a sample of `look`: the next cell with it is to be written by
    /// rust_xlsxwriter (and so [`Placement::leave_to_writer`]ed) as one.
    pub(super) fn needs_sample(&self, look: u16) -> bool {
        look != 0 && self.look_samples.get(usize::from(look)).is_none_or(Option::is_none)
    }

    pub(super) fn sample(&mut self, look: u16, row: u32, col: u32) {
        let look = usize::from(look);
        if self.look_samples.len() <= look {
            self.look_samples.resize(look + 1, None);
        }
        self.look_samples[look] = Some((row, col));
    }

    pub(super) fn look_samples(&self) -> impl Iterator<Item = (usize, (u32, u32))> + '_ {
        self.look_samples.iter().enumerate().filter_map(|(look, at)| at.map(|at| (look, at)))
    }

    /// Counts a cell the bulk writes into the sheet's bounds.
    pub(super) fn count_bulk(&mut self, row: u32, col: u32) {
        self.bounds = Some(widened(self.bounds, (row, col, row, col)));
    }

    /// The bounds of the cells the bulk writes.
    pub(super) fn bounds(&self) -> Option<Bounds> {
        self.bounds
    }
}

/// First row, first column, last row and last column of some cells.
pub(super) type Bounds = (u32, u32, u32, u32);

pub(super) fn widened(bounds: Option<Bounds>, by: Bounds) -> Bounds {
    match bounds {
        None => by,
        Some((r0, c0, r1, c1)) => (r0.min(by.0), c0.min(by.1), r1.max(by.2), c1.max(by.3)),
    }
}

/// Whether the bulk writes `cell` itself, given that something is to be written there: a value whose
/// XML is the same whoever writes it. NaN and infinities (which rust_xlsxwriter turns into texts),
/// texts needing Excel's `_xHHHH_` escapes and texts longer than a cell holds are left to it.
pub(super) fn writes(cell: &GridCell) -> bool {
    match &cell.value {
        Value::Empty => false,
        Value::Number(n) => n.is_finite(),
        Value::Bool(_) => true,
        Value::Text(t) | Value::Error(t) | Value::Date(t) => plain_text(t),
        Value::Formula(f) => plain_text(f) && f.len() < MAX_PLAIN_BYTES,
    }
}

/// Longer texts may exceed Excel's 32,767 UTF-16 units per cell (each unit takes at least one byte).
const MAX_PLAIN_BYTES: usize = 32_767;

/// Whether a text is written as its characters with `&`, `<` and `>` escaped (no control character
/// but tab and line feed, no `_x` that could read as an escape, none of U+FFFE and U+FFFF).
fn plain_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    let needs_escape = |(at, &b): (usize, &u8)| match b {
        b'\t' | b'\n' => false,
        0..0x20 => true,
        b'_' => bytes.get(at + 1) == Some(&b'x'),
        // U+FFFE and U+FFFF in UTF-8.
        0xEF => bytes.get(at + 1) == Some(&0xBF) && matches!(bytes.get(at + 2), Some(0xBE | 0xBF)),
        _ => false,
    };
    bytes.len() <= MAX_PLAIN_BYTES && !bytes.iter().enumerate().any(needs_escape)
}

/// Whether anything at all is written for `cell` when it holds no note and no merge covers it (as
/// the annotated copy writes it: a blank cell only when it holds an empty text, for its format).
pub(super) fn is_written(cell: &GridCell) -> bool {
    match &cell.value {
        Value::Empty => false,
        Value::Text(t) => !t.is_empty() || cell.look != 0,
        _ => true,
    }
}

/// Writes the bulk cells of one row, in column order, between `written` (rust_xlsxwriter's cells of
/// the row, each with its column, in order), into `out`.
pub(super) struct RowWriter<'a> {
    grid: &'a Grid,
    placement: &'a Placement,
    /// The style index of each look's format.
    style_of_look: Vec<u32>,
    columns: Vec<String>,
}

impl<'a> RowWriter<'a> {
    pub(super) fn new(grid: &'a Grid, placement: &'a Placement, style_of_look: Vec<u32>) -> RowWriter<'a> {
        let columns = (0..grid.max_width()).map(CellRef::column_letters).collect();
        RowWriter { grid, placement, style_of_look, columns }
    }

    /// The row's `<row>` element: `attributes` those rust_xlsxwriter gave it (`r` included), or `r` alone.
    pub(super) fn write_row(&self, row: u32, attributes: Option<&str>, written: &[(u32, &str)], out: &mut Vec<u8>) {
        let cells = self.grid.row_cells(row);
        let mut written = written.iter().peekable();
        let mut row_number = itoa::Buffer::new();
        let row_number = row_number.format(row + 1);
        let start = out.len();
        match attributes {
            Some(attributes) => {
                out.extend_from_slice(b"<row");
                out.extend_from_slice(attributes.as_bytes());
                out.push(b'>');
            }
            None => {
                out.extend_from_slice(b"<row r=\"");
                out.extend_from_slice(row_number.as_bytes());
                out.extend_from_slice(b"\">");
            }
        }
        let opened = out.len();
        for (col, cell) in cells.iter().enumerate() {
            let col = col as u32;
            while let Some((_, xml)) = written.next_if(|(at, _)| *at < col) {
                out.extend_from_slice(xml.as_bytes());
            }
            // A cell the bulk cannot write is left to rust_xlsxwriter, as any written there is.
            if self.placement.is_left_to_writer(row, col) || !is_written(cell) {
                continue;
            }
            self.write_cell(row_number, col, cell, out);
        }
        for (_, xml) in written {
            out.extend_from_slice(xml.as_bytes());
        }
        if out.len() > opened {
            out.extend_from_slice(b"</row>");
        } else if attributes.is_some() {
            // rust_xlsxwriter's row with a height and no cell.
            out.truncate(opened - 1);
            out.extend_from_slice(b"/>");
        } else {
            out.truncate(start);
        }
    }

    fn write_cell(&self, row_number: &str, col: u32, cell: &GridCell, out: &mut Vec<u8>) {
        let style = self.style_of_look.get(usize::from(cell.look)).copied().unwrap_or(0);
        let blank = matches!(&cell.value, Value::Empty) || matches!(&cell.value, Value::Text(t) if t.is_empty());
        if blank && style == 0 {
            // As Excel, and rust_xlsxwriter, leave out a blank cell of the default format.
            return;
        }
        out.extend_from_slice(b"<c r=\"");
        out.extend_from_slice(self.columns.get(col as usize).map_or("A", String::as_str).as_bytes());
        out.extend_from_slice(row_number.as_bytes());
        out.push(b'"');
        if style != 0 {
            out.extend_from_slice(b" s=\"");
            out.extend_from_slice(itoa::Buffer::new().format(style).as_bytes());
            out.push(b'"');
        }
        match &cell.value {
            _ if blank => out.extend_from_slice(b"/>"),
            Value::Number(n) => {
                out.extend_from_slice(b"><v>");
                out.extend_from_slice(ryu::Buffer::new().format_finite(*n).as_bytes());
                out.extend_from_slice(b"</v></c>");
            }
            Value::Bool(b) => out.extend_from_slice(if *b { b" t=\"b\"><v>1</v></c>" } else { b" t=\"b\"><v>0</v></c>" }),
            Value::Text(t) | Value::Error(t) | Value::Date(t) => inline_string("", t, out),
            // A formula not safe to copy live is shown as its text.
            Value::Formula(f) => inline_string("=", f, out),
            Value::Empty => {}
        }
    }
}

/// The rest of an inline-string cell holding `prefix` and `text`.
fn inline_string(prefix: &str, text: &str, out: &mut Vec<u8>) {
    let whitespace = ['\t', '\n', ' '];
    let preserve = (prefix.is_empty() && text.starts_with(whitespace)) || text.ends_with(whitespace);
    out.extend_from_slice(if preserve { b" t=\"inlineStr\"><is><t xml:space=\"preserve\">" } else { b" t=\"inlineStr\"><is><t>" });
    out.extend_from_slice(prefix.as_bytes());
    escape_into(text, out);
    out.extend_from_slice(b"</t></is></c>");
}

fn escape_into(text: &str, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    let mut plain_from = 0;
    for (at, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            _ => continue,
        };
        out.extend_from_slice(&bytes[plain_from..at]);
        out.extend_from_slice(escaped);
        plain_from = at + 1;
    }
    out.extend_from_slice(&bytes[plain_from..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(value: Value, look: u16) -> GridCell {
        GridCell { value, format: None, look }
    }

    #[test]
    fn rows_merge_the_bulk_with_the_cells_rust_xlsxwriter_wrote() {
        let text = |t: &str| cell(Value::Text(t.into()), 0);
        let rows = vec![
            vec![text("a&b"), cell(Value::Number(1.5), 1), text("noted"), cell(Value::Bool(false), 0), cell(Value::Text("".into()), 1)],
            vec![],
            vec![cell(Value::Text("".into()), 0), cell(Value::Empty, 1), cell(Value::Formula("A1 ".into()), 0)],
        ];
        let grid = Grid::new("S", rows, Vec::new());
        let mut placement = Placement::new(grid.height());
        placement.leave_to_writer(0, 2);
        let writer = RowWriter::new(&grid, &placement, vec![0, 7]);
        let mut out = Vec::new();
        writer.write_row(0, Some(r#" r="1" ht="20""#), &[(2, "<c r=\"C1\" s=\"9\"/>"), (6, "<c r=\"G1\" s=\"9\"/>")], &mut out);
        let expected = concat!(
            r#"<row r="1" ht="20"><c r="A1" t="inlineStr"><is><t>a&amp;b</t></is></c><c r="B1" s="7"><v>1.5</v></c>"#,
            r#"<c r="C1" s="9"/><c r="D1" t="b"><v>0</v></c><c r="E1" s="7"/><c r="G1" s="9"/></row>"#,
        );
        assert_eq!(String::from_utf8(out).unwrap(), expected);

        let mut out = Vec::new();
        writer.write_row(1, Some(r#" r="2" ht="20""#), &[], &mut out);
        writer.write_row(1, None, &[], &mut out);
        writer.write_row(2, None, &[], &mut out);
        let expected = r#"<row r="2" ht="20"/><row r="3"><c r="C3" t="inlineStr"><is><t xml:space="preserve">=A1 </t></is></c></row>"#;
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn values_needing_rust_xlsxwriters_rules_are_left_to_it() {
        let text = |t: &str| cell(Value::Text(t.into()), 0);
        for plain in [text("合计"), text("two\nlines\tand tab"), cell(Value::Number(-0.5), 0), cell(Value::Error("#N/A".into()), 0)] {
            assert!(writes(&plain), "{plain:?}");
        }
        let long = "x".repeat(MAX_PLAIN_BYTES + 1);
        for escaped in [text("a\rb"), text("_x0041_"), text("\u{FFFE}"), text(&long), cell(Value::Number(f64::NAN), 0), cell(Value::Number(f64::NEG_INFINITY), 0)] {
            assert!(!writes(&escaped), "{:?}", escaped.value.display());
        }
        assert!(!is_written(&cell(Value::Empty, 3)));
        assert!(!is_written(&text("")));
        assert!(is_written(&cell(Value::Text("".into()), 2)), "a blank with a format of its own");
    }
}
