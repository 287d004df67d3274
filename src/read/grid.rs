//! A sheet as a grid of values with the shown number format and merged ranges, whatever the file format.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use calamine::{open_workbook_auto, Data, DataRef, Dimensions, Reader, Sheets, Xlsx};

use crate::error::{Error, Result};
use crate::read::layout::{read_xlsx_layouts, SheetLayout};

/// A cell's value as stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Empty,
    Number(f64),
    Text(String),
    Bool(bool),
    /// An error value such as `#DIV/0!`.
    Error(String),
    /// A date or time (its display is irrelevant to figures, which it never is).
    Date(String),
}

impl Value {
    /// Text for labels and kept columns: numbers in their shortest form.
    pub fn display(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Empty => None,
            Value::Number(n) => Some(Cow::Owned(format!("{n}"))),
            Value::Text(t) | Value::Error(t) | Value::Date(t) => Some(Cow::Borrowed(t)),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "TRUE" } else { "FALSE" })),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
}

/// What a number format shows: how many decimals, and whether it multiplies by 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberFormat {
    pub decimals: u32,
    pub percent: bool,
}

impl NumberFormat {
    /// Reads an Excel format code; `None` for General (the shown decimals then follow the value).
    pub fn parse(code: &str) -> Option<NumberFormat> {
        let section = first_section(code);
        if section.eq_ignore_ascii_case("general") || section.is_empty() || section == "@" {
            return None;
        }
        let literal_free = strip_literals(section);
        let decimals = literal_free
            .split_once('.')
            .map_or(0, |(_, after)| after.chars().take_while(|c| matches!(c, '0' | '#' | '?')).count() as u32);
        Some(NumberFormat { decimals, percent: literal_free.contains('%') })
    }
}

fn first_section(code: &str) -> &str {
    code.split(';').next().unwrap_or("").trim()
}

/// Drops quoted text, escaped characters and bracketed colour/locale codes from a format section.
fn strip_literals(section: &str) -> String {
    let mut out = String::with_capacity(section.len());
    let mut chars = section.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                }
            }
            '[' => {
                for q in chars.by_ref() {
                    if q == ']' {
                        break;
                    }
                }
            }
            '\\' | '_' | '*' => {
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// One cell: value and (for formats that expose it) its number format.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GridCell {
    pub value: Value,
    pub format: Option<NumberFormat>,
    /// Index into the grid's [`CellLook`]s; 0 is the default look.
    pub look: u16,
}

/// How a cell looks, as far as the annotated copy reproduces it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct CellLook {
    /// The number format code; `None` for General.
    pub number_format: Option<String>,
    pub bold: bool,
    pub wrap: bool,
    pub horizontal: Align,
    pub vertical: Align,
}

/// Alignment the copy keeps; anything else is left to Excel's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Align {
    #[default]
    Default,
    Start,
    Center,
    End,
}

/// A merged range, inclusive, 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merge {
    pub first_row: u32,
    pub first_col: u32,
    pub last_row: u32,
    pub last_col: u32,
}

/// A sheet as read.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub name: String,
    rows: Vec<Vec<GridCell>>,
    merges: Vec<Merge>,
    /// Widths, heights and formula texts (xlsx only); its merges are `merges`.
    pub layout: SheetLayout,
    pub looks: Vec<CellLook>,
    /// For every cell covered by a merge (but not its anchor), the merge's index.
    covered: HashMap<(u32, u32), usize>,
}

static EMPTY_CELL: GridCell = GridCell { value: Value::Empty, format: None, look: 0 };

impl Grid {
    pub fn new(name: impl Into<String>, rows: Vec<Vec<GridCell>>, merges: Vec<Merge>) -> Grid {
        let mut covered = HashMap::new();
        for (index, m) in merges.iter().enumerate() {
            for row in m.first_row..=m.last_row {
                for col in m.first_col..=m.last_col {
                    if (row, col) != (m.first_row, m.first_col) {
                        covered.insert((row, col), index);
                    }
                }
            }
        }
        Grid { name: name.into(), rows, merges, covered, layout: SheetLayout::default(), looks: vec![CellLook::default()] }
    }

    fn with_layout(mut self, layout: SheetLayout, looks: Vec<CellLook>) -> Grid {
        self.layout = SheetLayout { merges: Vec::new(), ..layout };
        self.looks = looks;
        self
    }

    pub fn look(&self, cell: &GridCell) -> &CellLook {
        self.looks.get(cell.look as usize).unwrap_or(&self.looks[0])
    }

    /// Builds a grid from plain values; handy for tests and generated input.
    pub fn from_values(name: &str, rows: Vec<Vec<Value>>) -> Grid {
        let rows = rows
            .into_iter()
            .map(|r| r.into_iter().map(|value| GridCell { value, format: None, look: 0 }).collect())
            .collect();
        Grid::new(name, rows, Vec::new())
    }

    pub fn height(&self) -> u32 {
        self.rows.len() as u32
    }

    pub fn width(&self, row: u32) -> u32 {
        self.rows.get(row as usize).map_or(0, |r| r.len() as u32)
    }

    pub fn max_width(&self) -> u32 {
        self.rows.iter().map(|r| r.len() as u32).max().unwrap_or(0)
    }

    /// The cell as stored (a covered cell of a merge is empty).
    pub fn cell(&self, row: u32, col: u32) -> &GridCell {
        self.rows.get(row as usize).and_then(|r| r.get(col as usize)).unwrap_or(&EMPTY_CELL)
    }

    /// The merge a cell belongs to, anchor included.
    pub fn merge_at(&self, row: u32, col: u32) -> Option<&Merge> {
        if let Some(index) = self.covered.get(&(row, col)) {
            return self.merges.get(*index);
        }
        self.merges.iter().find(|m| m.first_row == row && m.first_col == col)
    }

    /// The cell as the user sees it: a covered cell shows its merge's anchor.
    pub fn visible(&self, row: u32, col: u32) -> &GridCell {
        match self.covered.get(&(row, col)).and_then(|i| self.merges.get(*i)) {
            Some(m) => self.cell(m.first_row, m.first_col),
            None => self.cell(row, col),
        }
    }

    /// Whether the cell is covered by a merge that starts in an earlier row (merged down into it).
    pub fn is_merged_from_above(&self, row: u32, col: u32) -> bool {
        self.covered.get(&(row, col)).and_then(|i| self.merges.get(*i)).is_some_and(|m| m.first_row < row)
    }

    pub fn merges(&self) -> &[Merge] {
        &self.merges
    }

    pub fn is_row_empty(&self, row: u32) -> bool {
        self.rows.get(row as usize).is_none_or(|r| r.iter().all(|c| c.value.is_empty()))
    }
}

/// Opens a workbook and reads every sheet as a grid (values, number formats, merges).
pub fn read_grids(path: &Path) -> Result<Vec<Grid>> {
    read_grids_as(path, Detail::Values)
}

/// Like [`read_grids`], plus what a faithful copy needs of an .xlsx: widths, heights, formula texts.
pub fn read_grids_with_layout(path: &Path) -> Result<Vec<Grid>> {
    read_grids_as(path, Detail::Layout)
}

/// How much of an .xlsx sheet's layout to read: the full layout costs a second parse of every cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    Values,
    Layout,
}

/// For callers that treat a workbook without data as one without tables (a finding, not an error).
pub fn no_grids_if_empty(read: Result<Vec<Grid>>) -> Result<Vec<Grid>> {
    match read {
        Err(Error::EmptyWorkbook { .. }) => Ok(Vec::new()),
        other => other,
    }
}

fn read_grids_as(path: &Path, detail: Detail) -> Result<Vec<Grid>> {
    if !path.is_file() {
        return Err(Error::FileNotFound { path: path.to_path_buf() });
    }
    let workbook = open_workbook_auto(path).map_err(|e| open_error(path, e))?;
    let grids = match workbook {
        Sheets::Xlsx(xlsx) => read_xlsx(path, xlsx, detail)?,
        Sheets::Xls(mut xls) => {
            let names = xls.sheet_names();
            let mut grids = Vec::with_capacity(names.len());
            for name in names {
                let range = xls.worksheet_range(&name).map_err(|e| sheet_error(path, &name, e))?;
                let merges = xls.merge_cells_by_sheet_name(&name).unwrap_or_default();
                grids.push(grid_from_range(&name, &range, &merges));
            }
            grids
        }
        other => read_plain(path, other)?,
    };
    if grids.iter().all(|g| g.height() == 0) {
        return Err(Error::EmptyWorkbook { path: path.to_path_buf() });
    }
    Ok(grids)
}

fn open_error(path: &Path, error: calamine::Error) -> Error {
    let password = matches!(
        error,
        calamine::Error::Xlsx(calamine::XlsxError::Password)
            | calamine::Error::Xls(calamine::XlsError::Password)
            | calamine::Error::Ods(calamine::OdsError::Password)
    ) || error.to_string().to_lowercase().contains("password");
    if password {
        Error::PasswordProtected { path: path.to_path_buf() }
    } else {
        Error::NotASpreadsheet { path: path.to_path_buf(), detail: error.to_string() }
    }
}

fn sheet_error(path: &Path, sheet: &str, error: impl std::fmt::Display) -> Error {
    Error::UnreadableSheet { path: path.to_path_buf(), sheet: sheet.to_string(), detail: error.to_string() }
}

/// .ods (and .xlsb): values only; no number formats or merges are exposed for them.
fn read_plain(path: &Path, mut workbook: Sheets<BufReader<File>>) -> Result<Vec<Grid>> {
    let names = workbook.sheet_names();
    let mut grids = Vec::with_capacity(names.len());
    for name in names {
        let range = workbook.worksheet_range(&name).map_err(|e| sheet_error(path, &name, e))?;
        grids.push(grid_from_range(&name, &range, &[]));
    }
    Ok(grids)
}

fn grid_from_range(name: &str, range: &calamine::Range<Data>, merges: &[Dimensions]) -> Grid {
    let mut rows: Vec<Vec<GridCell>> = Vec::new();
    if let (Some((row0, col0)), Some(_)) = (range.start(), range.end()) {
        rows.resize(row0 as usize + range.height(), Vec::new());
        for (r, data_row) in range.rows().enumerate() {
            let target = &mut rows[row0 as usize + r];
            target.resize(col0 as usize, GridCell::default());
            target.extend(data_row.iter().map(|d| GridCell { value: value_of(d), format: None, look: 0 }));
        }
    }
    Grid::new(name, rows, merges.iter().map(merge_of).collect())
}

fn merge_of(d: &Dimensions) -> Merge {
    Merge { first_row: d.start.0, first_col: d.start.1, last_row: d.end.0, last_col: d.end.1 }
}

fn value_of(data: &Data) -> Value {
    match data {
        Data::Empty => Value::Empty,
        Data::Int(i) => Value::Number(*i as f64),
        Data::Float(f) => Value::Number(*f),
        Data::String(s) => Value::Text(s.clone()),
        Data::Bool(b) => Value::Bool(*b),
        Data::Error(e) => Value::Error(e.to_string()),
        Data::DateTime(d) => Value::Date(d.to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Date(s.clone()),
    }
}

fn value_of_ref(data: &DataRef<'_>) -> Value {
    match data {
        DataRef::Empty => Value::Empty,
        DataRef::Int(i) => Value::Number(*i as f64),
        DataRef::Float(f) => Value::Number(*f),
        DataRef::String(s) => Value::Text(s.clone()),
        DataRef::SharedString(s) => Value::Text(s.to_string()),
        DataRef::Bool(b) => Value::Bool(*b),
        DataRef::Error(e) => Value::Error(e.to_string()),
        DataRef::DateTime(d) => Value::Date(d.to_string()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Value::Date(s.clone()),
    }
}

/// Reservation caps, so a sheet claiming to be a million rows wide costs nothing up front.
const MAX_RESERVED_ROWS: u32 = 1 << 20;
const MAX_RESERVED_WIDTH: u32 = 64;

/// .xlsx/.xlsm: values and number formats in one pass over each sheet's XML, while a second pass on
/// the other core reads what calamine does not give (widths, heights, merges, formula texts).
fn read_xlsx(path: &Path, mut xlsx: Xlsx<BufReader<File>>, detail: Detail) -> Result<Vec<Grid>> {
    let names = xlsx.sheet_names();
    std::thread::scope(|scope| {
        let layouts = scope.spawn(|| match detail {
            Detail::Layout => read_xlsx_layouts(path, &names),
            Detail::Values => read_xlsx_merges(path, &names),
        });
        let mut cells = Vec::with_capacity(names.len());
        for name in &names {
            cells.push(read_xlsx_cells(&mut xlsx, name).map_err(|e| sheet_error(path, name, e))?);
        }
        let layouts = layouts
            .join()
            .unwrap_or_else(|_| Err("layout reader failed".into()))
            .map_err(|detail| Error::NotASpreadsheet { path: path.to_path_buf(), detail })?;
        let grids = names.iter().zip(cells).zip(layouts).map(|((name, (rows, looks)), mut layout)| {
            let merges = std::mem::take(&mut layout.merges);
            Grid::new(name, rows, merges).with_layout(layout, looks)
        });
        Ok(grids.collect())
    })
}

/// Only the merged ranges, as calamine finds them (it skips over the cells, which is cheap).
fn read_xlsx_merges(path: &Path, names: &[String]) -> std::result::Result<Vec<SheetLayout>, String> {
    let mut xlsx: Xlsx<BufReader<File>> = calamine::open_workbook(path).map_err(|e: calamine::XlsxError| e.to_string())?;
    names
        .iter()
        .map(|name| {
            let merges = xlsx.merge_cells_by_sheet_name(name).map_err(|e| format!("{name}: {e}"))?;
            Ok(SheetLayout { merges: merges.iter().map(merge_of).collect(), ..SheetLayout::default() })
        })
        .collect()
}

type CellsAndLooks = (Vec<Vec<GridCell>>, Vec<CellLook>);

fn read_xlsx_cells(xlsx: &mut Xlsx<BufReader<File>>, name: &str) -> Result<CellsAndLooks, calamine::XlsxError> {
    let mut reader = xlsx.worksheet_cells_reader(name)?;
    // Indexed by style id: a sheet uses few styles, and this runs once per cell.
    let mut by_style: Vec<Option<(Option<NumberFormat>, u16)>> = Vec::new();
    let mut looks = vec![CellLook::default()];
    // The sheet states its size up front; reserving it saves regrowing a vector per row.
    let size = reader.dimensions();
    let width = (size.end.1 + 1).min(MAX_RESERVED_WIDTH) as usize;
    let mut rows: Vec<Vec<GridCell>> = Vec::with_capacity((size.end.0 + 1).min(MAX_RESERVED_ROWS) as usize);
    while let Some((cell, style_id)) = reader.next_cell_with_style_id()? {
        let (row, col) = cell.get_position();
        let value = value_of_ref(cell.get_value());
        if value == Value::Empty {
            continue;
        }
        if by_style.len() <= style_id {
            by_style.resize(style_id + 1, None);
        }
        let (format, look) = *by_style[style_id].get_or_insert_with(|| {
            let style = reader.styles().get(style_id);
            let look = look_of(style);
            let index = looks.iter().position(|l| *l == look).unwrap_or_else(|| {
                looks.push(look);
                looks.len() - 1
            });
            let format = style.and_then(|s| s.number_format.as_ref()).and_then(|f| NumberFormat::parse(&f.format_code));
            (format, u16::try_from(index).unwrap_or(0))
        });
        while rows.len() <= row as usize {
            rows.push(Vec::with_capacity(width));
        }
        let target = &mut rows[row as usize];
        if target.len() <= col as usize {
            target.resize(col as usize + 1, GridCell::default());
        }
        target[col as usize] = GridCell { value, format, look };
    }
    Ok((rows, looks))
}

fn look_of(style: Option<&calamine::Style>) -> CellLook {
    let Some(style) = style else { return CellLook::default() };
    let number_format = style
        .number_format
        .as_ref()
        .map(|f| f.format_code.clone())
        .filter(|code| !code.eq_ignore_ascii_case("general"));
    CellLook {
        number_format,
        bold: style.font.as_ref().is_some_and(|f| f.is_bold()),
        wrap: style.alignment.as_ref().is_some_and(|a| a.wrap_text),
        horizontal: style.alignment.as_ref().map_or(Align::Default, |a| match a.horizontal {
            calamine::HorizontalAlignment::Left => Align::Start,
            calamine::HorizontalAlignment::Center | calamine::HorizontalAlignment::CenterContinuous => Align::Center,
            calamine::HorizontalAlignment::Right => Align::End,
            _ => Align::Default,
        }),
        vertical: style.alignment.as_ref().map_or(Align::Default, |a| match a.vertical {
            calamine::VerticalAlignment::Top => Align::Start,
            calamine::VerticalAlignment::Center => Align::Center,
            _ => Align::Default,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats_tell_decimals_and_percent() {
        let parse = |code| NumberFormat::parse(code);
        assert_eq!(parse("General"), None);
        assert_eq!(parse("0.00%"), Some(NumberFormat { decimals: 2, percent: true }));
        assert_eq!(parse("#,##0.00"), Some(NumberFormat { decimals: 2, percent: false }));
        assert_eq!(parse("#,##0.00_ ;[Red]\\-#,##0.00\\ "), Some(NumberFormat { decimals: 2, percent: false }));
        assert_eq!(parse("0"), Some(NumberFormat { decimals: 0, percent: false }));
        assert_eq!(parse("0.0\"万元\""), Some(NumberFormat { decimals: 1, percent: false }));
        assert_eq!(parse("\"%\"0.00"), Some(NumberFormat { decimals: 2, percent: false }));
    }

    #[test]
    fn covered_cells_show_their_anchor() {
        let mut grid = Grid::from_values(
            "s",
            vec![vec![Value::Text("综合办公室".into())], vec![Value::Empty], vec![Value::Empty]],
        );
        grid = Grid::new("s", grid.rows, vec![Merge { first_row: 0, first_col: 0, last_row: 1, last_col: 0 }]);
        assert_eq!(grid.visible(1, 0).value, Value::Text("综合办公室".into()));
        assert!(grid.is_merged_from_above(1, 0));
        assert!(!grid.is_merged_from_above(0, 0));
        assert_eq!(grid.visible(2, 0).value, Value::Empty);
    }
}
