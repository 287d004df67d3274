//! The number formats of an .ods's cells, which calamine does not give: a figure's precision is what
//! its format shows (FORMATS.md §4), so a ratio formatted `0%` that shows 99% is read as 99%, not 99.00%.
//!
//! A cell's format is its data style (`number:number-style`, `number:percentage-style`,
//! `number:currency-style`), reached through its cell style (`table:style-name`, else its row's or its
//! column's `table:default-cell-style-name`) and that style's parents. Cells are counted as calamine
//! counts them: repeated rows and columns expanded, covered cells included.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek};

use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

use super::grid::{NumberFormat, EXCEL_COLUMNS, EXCEL_ROWS};
use super::xls_formats::CellFormats;

/// Per table name, the format of each cell holding a value whose style gives one.
pub(crate) type OdsFormats = HashMap<String, CellFormats>;

/// A cell style's own data style and its parent; followed at most this deep (a loop ends there).
const MAX_STYLE_DEPTH: usize = 16;
const ROWS: u64 = EXCEL_ROWS as u64;
const COLUMNS: u64 = EXCEL_COLUMNS as u64;
/// The elements that define a data style; only the first three show a fixed precision.
const DATA_STYLES: [&str; 7] = [
    "number:number-style",
    "number:percentage-style",
    "number:currency-style",
    "number:date-style",
    "number:time-style",
    "number:text-style",
    "number:boolean-style",
];

/// The formats of every table of the package; an empty map where its XML cannot be read (the
/// values' reader reports that file's errors).
pub(crate) fn read_ods_formats<R: Read + Seek>(zip: &mut ZipArchive<R>) -> OdsFormats {
    let mut styles = Styles::default();
    if let Ok(part) = zip.by_name("styles.xml") {
        let _ = scan(BufReader::new(part), &mut styles, None);
    }
    let mut formats = OdsFormats::new();
    if let Ok(part) = zip.by_name("content.xml") {
        if scan(BufReader::new(part), &mut styles, Some(&mut formats)).is_err() {
            formats.clear();
        }
    }
    formats
}

#[derive(Default)]
struct Styles {
    /// Data style name → the format it shows (`None`: General, a date, text).
    data: HashMap<String, Option<NumberFormat>>,
    /// Cell style name → (its data style, its parent style).
    cells: HashMap<String, (Option<String>, Option<String>)>,
}

impl Styles {
    fn format_of(&self, cell_style: &str) -> Option<NumberFormat> {
        let mut name = cell_style;
        for _ in 0..MAX_STYLE_DEPTH {
            let (data, parent) = self.cells.get(name)?;
            if let Some(data) = data {
                return self.data.get(data).copied().flatten();
            }
            name = parent.as_deref()?;
        }
        None
    }
}

/// A data style being read: its kind's percent sign, and its decimals once its number is met.
struct DataStyle {
    name: String,
    percent: bool,
    decimals: Option<u8>,
    /// Only numbers, percentages and currencies have a precision; dates and texts have none.
    numeric: bool,
}

/// Where the scan is inside a table.
#[derive(Default)]
struct TablePosition {
    name: String,
    row: u64,
    row_repeat: u64,
    row_style: Option<String>,
    col: u64,
    /// (first column, last column + 1, default cell style) of the table's columns.
    columns: Vec<(u64, u64, Option<String>)>,
    columns_end: u64,
    /// The current row's formatted value cells: (first column, repeat, format).
    row_cells: Vec<(u64, u64, NumberFormat)>,
    cells: CellFormats,
}

impl TablePosition {
    fn column_style(&self, col: u64) -> Option<&str> {
        self.columns.iter().find(|(first, end, _)| (*first..*end).contains(&col)).and_then(|(_, _, s)| s.as_deref())
    }

    fn end_row(&mut self) {
        if !self.row_cells.is_empty() {
            let rows = self.row_repeat.min(ROWS.saturating_sub(self.row));
            for row in self.row..self.row + rows {
                for &(first, repeat, format) in &self.row_cells {
                    for col in first..(first + repeat).min(COLUMNS) {
                        self.cells.insert((row as u32, col as u32), format);
                    }
                }
            }
            self.row_cells.clear();
        }
        self.row = (self.row + self.row_repeat).min(ROWS);
        (self.row_repeat, self.row_style) = (1, None);
    }
}

fn attribute(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

/// A repeat count (`table:number-rows-repeated`, …): at least 1, at most `max`.
pub(crate) fn repeat_count(e: &BytesStart<'_>, key: &str, max: u64) -> u64 {
    attribute(e, key).and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(1).clamp(1, max)
}

/// Reads the styles of a part, and with `formats` its tables' cells too.
fn scan(part: impl BufRead, styles: &mut Styles, mut formats: Option<&mut OdsFormats>) -> quick_xml::Result<()> {
    let mut xml = quick_xml::Reader::from_reader(part);
    let mut buf = Vec::new();
    let mut data_style: Option<DataStyle> = None;
    let mut table: Option<TablePosition> = None;
    loop {
        let event = xml.read_event_into(&mut buf)?;
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            match e.name().as_ref() {
                kind if DATA_STYLES.contains(&kind) => {
                    let style = DataStyle {
                        name: attribute(e, "style:name").unwrap_or_default(),
                        percent: kind == "number:percentage-style",
                        decimals: None,
                        numeric: DATA_STYLES[..3].contains(&kind),
                    };
                    if empty {
                        styles.data.insert(style.name, None);
                    } else {
                        data_style = Some(style);
                    }
                }
                "number:number" => {
                    if let Some(style) = data_style.as_mut().filter(|s| s.numeric && s.decimals.is_none()) {
                        style.decimals = attribute(e, "number:decimal-places").and_then(|d| d.trim().parse::<u8>().ok());
                    }
                }
                "style:style" if attribute(e, "style:family").as_deref() == Some("table-cell") => {
                    if let Some(name) = attribute(e, "style:name") {
                        styles.cells.insert(name, (attribute(e, "style:data-style-name"), attribute(e, "style:parent-style-name")));
                    }
                }
                "table:table" if formats.is_some() => {
                    table = Some(TablePosition { name: attribute(e, "table:name").unwrap_or_default(), row_repeat: 1, ..TablePosition::default() });
                }
                "table:table-column" => {
                    if let Some(t) = table.as_mut() {
                        let repeat = repeat_count(e, "table:number-columns-repeated", COLUMNS);
                        let first = t.columns_end;
                        t.columns_end = (first + repeat).min(COLUMNS);
                        t.columns.push((first, t.columns_end, attribute(e, "table:default-cell-style-name")));
                    }
                }
                "table:table-row" => {
                    if let Some(t) = table.as_mut() {
                        t.row_repeat = repeat_count(e, "table:number-rows-repeated", ROWS);
                        t.row_style = attribute(e, "table:default-cell-style-name");
                        t.col = 0;
                        if empty {
                            t.end_row();
                        }
                    }
                }
                "table:table-cell" | "table:covered-table-cell" => {
                    if let Some(t) = table.as_mut() {
                        let repeat = repeat_count(e, "table:number-columns-repeated", COLUMNS);
                        let holds_value = attribute(e, "office:value-type").is_some_and(|t| t != "string");
                        if holds_value {
                            let style = attribute(e, "table:style-name")
                                .or_else(|| t.row_style.clone())
                                .or_else(|| t.column_style(t.col).map(str::to_string));
                            if let Some(format) = style.and_then(|s| styles.format_of(&s)) {
                                t.row_cells.push((t.col, repeat, format));
                            }
                        }
                        t.col = (t.col + repeat).min(COLUMNS);
                    }
                }
                _ => {}
            }
        }
        match &event {
            Event::End(e) => match e.name().as_ref() {
                kind if DATA_STYLES.contains(&kind) => {
                    if let Some(style) = data_style.take() {
                        let format = style.decimals.filter(|_| style.numeric).map(|decimals| NumberFormat { decimals, percent: style.percent });
                        styles.data.insert(style.name, format);
                    }
                }
                "table:table-row" => {
                    if let Some(t) = table.as_mut() {
                        t.end_row();
                    }
                }
                "table:table" => {
                    if let (Some(t), Some(formats)) = (table.take(), formats.as_deref_mut()) {
                        formats.entry(t.name).or_insert(t.cells);
                    }
                }
                _ => {}
            },
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formats_of(content: &str, styles: &str) -> OdsFormats {
        let mut known = Styles::default();
        scan(styles.as_bytes(), &mut known, None).unwrap();
        let mut formats = OdsFormats::new();
        scan(content.as_bytes(), &mut known, Some(&mut formats)).unwrap();
        formats
    }

    const STYLES: &str = r#"<office:document-styles><office:styles>
        <number:number-style style:name="N2"><number:number number:decimal-places="2" number:min-integer-digits="1"/></number:number-style>
        <style:style style:name="Amount" style:family="table-cell" style:data-style-name="N2"/>
        </office:styles></office:document-styles>"#;

    #[test]
    fn cells_take_their_style_then_their_rows_then_their_columns() {
        let content = r#"<office:document-content><office:automatic-styles>
            <number:percentage-style style:name="N11"><number:number number:decimal-places="0"/><number:text>%</number:text></number:percentage-style>
            <number:number-style style:name="N0"><number:number number:min-integer-digits="1"/></number:number-style>
            <number:date-style style:name="N37"><number:year/></number:date-style>
            <style:style style:name="ce1" style:family="table-cell" style:parent-style-name="Amount"/>
            <style:style style:name="ce2" style:family="table-cell" style:data-style-name="N11"/>
            <style:style style:name="ce3" style:family="table-cell" style:data-style-name="N0"/>
            <style:style style:name="ce4" style:family="table-cell" style:data-style-name="N37"/>
            </office:automatic-styles><office:body><office:spreadsheet>
            <table:table table:name="附件1">
              <table:table-column table:default-cell-style-name="ce2"/>
              <table:table-column table:number-columns-repeated="2" table:default-cell-style-name="ce1"/>
              <table:table-row><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>
              <table:table-row table:number-rows-repeated="2">
                <table:table-cell office:value-type="percentage" office:value="0.99"/>
                <table:table-cell table:number-columns-repeated="2" office:value-type="float" office:value="800000"/>
                <table:covered-table-cell/>
                <table:table-cell table:style-name="ce3" office:value-type="float" office:value="1"/>
                <table:table-cell table:style-name="ce4" office:value-type="date" office:date-value="2020-01-01"/>
              </table:table-row>
              <table:table-row table:default-cell-style-name="ce2"><table:table-cell/><table:table-cell table:number-columns-repeated="3" office:value-type="float" office:value="1"/></table:table-row>
            </table:table></office:spreadsheet></office:body></office:document-content>"#;
        let formats = formats_of(content, STYLES);
        let sheet = &formats["附件1"];
        let percent = NumberFormat { decimals: 0, percent: true };
        let amount = NumberFormat { decimals: 2, percent: false };
        for row in [1, 2] {
            assert_eq!(sheet.get(&(row, 0)), Some(&percent));
            assert_eq!(sheet.get(&(row, 1)), Some(&amount));
            assert_eq!(sheet.get(&(row, 2)), Some(&amount));
            // General and dates show no fixed decimals; the covered cell counts as a column.
            assert_eq!(sheet.get(&(row, 4)), None);
            assert_eq!(sheet.get(&(row, 5)), None);
        }
        // A row's default style comes before its columns'.
        for col in 1..=3 {
            assert_eq!(sheet.get(&(3, col)), Some(&percent));
        }
        // Text cells are not figures.
        assert_eq!(sheet.get(&(0, 0)), None);
        assert_eq!(sheet.len(), 9);
    }

    #[test]
    fn cells_without_a_style_or_with_a_looping_one_have_no_format() {
        let content = r#"<office:document-content><office:automatic-styles>
            <style:style style:name="a" style:family="table-cell" style:parent-style-name="b"/>
            <style:style style:name="b" style:family="table-cell" style:parent-style-name="a"/>
            </office:automatic-styles><office:body><office:spreadsheet><table:table table:name="S">
            <table:table-row><table:table-cell office:value-type="float" office:value="1"/>
            <table:table-cell table:style-name="a" office:value-type="float" office:value="1"/>
            <table:table-cell table:style-name="missing" office:value-type="float" office:value="1"/></table:table-row>
            </table:table></office:spreadsheet></office:body></office:document-content>"#;
        assert!(formats_of(content, STYLES)["S"].is_empty());
    }

    #[test]
    fn a_part_that_is_not_xml_gives_no_formats_and_no_panic() {
        let mut known = Styles::default();
        let mut formats = OdsFormats::new();
        let cut = "<office:document-content><office:body><table:table table:name=\"S\"><table:table-row></table:table>";
        assert!(scan(cut.as_bytes(), &mut known, Some(&mut formats)).is_err());
    }
}
