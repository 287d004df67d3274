//! The number formats of an .xls's number cells, which calamine does not give: a figure's precision
//! is what its format shows (FORMATS.md §4). Read from the records [`super::sniff::survey_xls`] walks
//! anyway: FORMAT (code by index) and XF (format index by style) in the globals, then each number
//! cell's style (NUMBER, RK, MULRK, FORMULA). BIFF8 only; older workbooks' cells stay General.
//! [`CellFormats`] is also what the .ods pass ([`super::ods_formats`]) gives for a sheet.

use std::collections::HashMap;

use super::grid::NumberFormat;

/// The number formats of one sheet's cells, by (row, column); General cells are absent.
pub type CellFormats = HashMap<(u32, u32), NumberFormat>;

/// The workbook's styles, as far as their number formats go.
#[derive(Debug, Default)]
pub(crate) struct XlsFormats {
    /// FORMAT records: format index → code.
    codes: HashMap<u16, String>,
    /// XF records in order: each style's format index.
    styles: Vec<u16>,
}

const FORMAT: u16 = 0x041E;
const XF: u16 = 0x00E0;
const NUMBER: u16 = 0x0203;
const RK: u16 = 0x027E;
const MULRK: u16 = 0x00BD;
const FORMULA: u16 = 0x0006;

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*data.get(at)?, *data.get(at + 1)?]))
}

/// Excel's built-in formats that show a fixed precision (the rest are General, dates, times, text).
fn builtin(index: u16) -> Option<&'static str> {
    Some(match index {
        1 | 3 | 5 | 6 | 37 | 38 | 41 | 42 => "0",
        2 | 4 | 7 | 8 | 39 | 40 | 43 | 44 => "0.00",
        9 => "0%",
        10 => "0.00%",
        _ => return None,
    })
}

/// A BIFF8 XLUnicodeString (16-bit count, flags, then 8- or 16-bit characters); `None` when cut short.
fn unicode_string(data: &[u8]) -> Option<String> {
    let count = usize::from(u16_at(data, 0)?);
    let flags = *data.get(2)?;
    // Rich text runs and phonetic blocks come after the characters: their sizes are skipped over.
    let mut at = 3 + if flags & 0x08 != 0 { 2 } else { 0 } + if flags & 0x04 != 0 { 4 } else { 0 };
    if flags & 0x01 != 0 {
        let mut units = Vec::with_capacity(count);
        for _ in 0..count {
            units.push(u16_at(data, at)?);
            at += 2;
        }
        Some(String::from_utf16_lossy(&units))
    } else {
        Some(data.get(at..at + count)?.iter().map(|&b| char::from(b)).collect())
    }
}

impl XlsFormats {
    /// Takes a record of the workbook's globals.
    pub(crate) fn global(&mut self, kind: u16, data: &[u8]) {
        match kind {
            FORMAT => {
                if let (Some(index), Some(code)) = (u16_at(data, 0), data.get(2..).and_then(unicode_string)) {
                    self.codes.insert(index, code);
                }
            }
            XF => self.styles.push(u16_at(data, 2).unwrap_or(0)),
            _ => {}
        }
    }

    fn format_of(&self, style: u16) -> Option<NumberFormat> {
        let index = *self.styles.get(usize::from(style))?;
        match self.codes.get(&index) {
            Some(code) => NumberFormat::parse(code),
            None => builtin(index).and_then(NumberFormat::parse),
        }
    }

    /// Takes a record of a sheet, noting the format of a number cell in `cells`.
    pub(crate) fn cell(&self, kind: u16, data: &[u8], cells: &mut CellFormats) {
        let at = |row: u16, col: u16, style: u16, cells: &mut CellFormats| {
            if let Some(format) = self.format_of(style) {
                cells.insert((u32::from(row), u32::from(col)), format);
            }
        };
        let (Some(row), Some(col)) = (u16_at(data, 0), u16_at(data, 2)) else { return };
        match kind {
            NUMBER | RK | FORMULA => {
                if let Some(style) = u16_at(data, 4) {
                    at(row, col, style, cells);
                }
            }
            // Row, first column, then a style and a 4-byte number per cell, then the last column.
            MULRK => {
                for (i, cell) in data.get(4..data.len().saturating_sub(2)).unwrap_or(&[]).chunks_exact(6).enumerate() {
                    if let Some(style) = u16_at(cell, 0) {
                        at(row, col.saturating_add(i as u16), style, cells);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format_record(index: u16, code: &str) -> Vec<u8> {
        let mut data = index.to_le_bytes().to_vec();
        data.extend((code.len() as u16).to_le_bytes());
        data.push(0);
        data.extend(code.as_bytes());
        data
    }

    fn xf(format: u16) -> Vec<u8> {
        let mut data = vec![0, 0];
        data.extend(format.to_le_bytes());
        data.extend([0; 16]);
        data
    }

    #[test]
    fn number_cells_take_their_styles_formats() {
        let mut formats = XlsFormats::default();
        formats.global(FORMAT, &format_record(164, "#,##0.0_ "));
        for index in [0, 10, 164, 9, 14] {
            formats.global(XF, &xf(index));
        }
        let mut cells = CellFormats::new();
        // NUMBER at (3, 1), style 1 (0.00%); RK at (3, 2), style 2 (the FORMAT record's code).
        formats.cell(NUMBER, &[3, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], &mut cells);
        formats.cell(RK, &[3, 0, 2, 0, 2, 0, 0, 0, 0, 0], &mut cells);
        // MULRK at row 4 from column 0: styles 3 (0%), 0 (General), 4 (a date), last column 2.
        let mulrk = [4, 0, 0, 0, 3, 0, 1, 2, 3, 4, 0, 0, 1, 2, 3, 4, 4, 0, 1, 2, 3, 4, 2, 0];
        formats.cell(MULRK, &mulrk, &mut cells);
        // A style past the XF records, and a record cut short.
        formats.cell(NUMBER, &[5, 0, 0, 0, 99, 0], &mut cells);
        formats.cell(NUMBER, &[6, 0], &mut cells);
        assert_eq!(cells.get(&(3, 1)), Some(&NumberFormat { decimals: 2, percent: true }));
        assert_eq!(cells.get(&(3, 2)), Some(&NumberFormat { decimals: 1, percent: false }));
        assert_eq!(cells.get(&(4, 0)), Some(&NumberFormat { decimals: 0, percent: true }));
        assert_eq!(cells.len(), 3);
    }

    #[test]
    fn format_codes_in_utf16_and_cut_short() {
        let mut data = 5u16.to_le_bytes().to_vec();
        data.push(1);
        data.extend("0.000".encode_utf16().take(4).flat_map(u16::to_le_bytes));
        assert_eq!(unicode_string(&data), None);
        data.extend("0".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(unicode_string(&data).as_deref(), Some("0.000"));
    }
}
