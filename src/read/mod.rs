//! Reading: a file becomes grids (values, formats, merges), grids become tables, tables become typed rows.

pub mod classify;
pub mod again;
pub mod form;
pub mod formula;
pub mod grid;
pub mod header;
pub mod hierarchy;
pub mod indicator_value;
pub mod layout;
mod ods_formats;
pub mod sniff;
pub mod table;
pub mod text;
pub mod unit;
mod xls_formats;
pub(crate) mod xml_scan;
mod xlsx_cells;

use std::path::Path;

use crate::error::{Error, Result};
use crate::model::{Amount, Field, Form, Lang, ListTable, Workbook};

/// Reads every 附件1-shaped table of a workbook. Figures that are not numbers are kept as
/// [`Field::Invalid`] for the checker to report; a workbook with no table at all is an error.
///
/// # Errors
/// [`Error::FileNotFound`], [`Error::NotASpreadsheet`], [`Error::PasswordProtected`],
/// [`Error::EmptyWorkbook`], [`Error::UnreadableSheet`], [`Error::NoTableFound`].
pub fn read_workbook(path: &Path) -> Result<Workbook> {
    read_workbook_within(path, &grid::ReadLimits::default())
}

/// [`read_workbook`] within the given limits (the user's `[limits]`, `--limit`, `limits=`).
///
/// # Errors
/// As [`read_workbook`], and [`Error::TooLarge`] past a limit.
pub fn read_workbook_within(path: &Path, limits: &grid::ReadLimits) -> Result<Workbook> {
    let workbook = read_documents_within(path, limits)?;
    if workbook.tables.is_empty() {
        return Err(Error::NoTableFound { path: path.to_path_buf(), sheets: workbook.sheets.join("、") });
    }
    Ok(workbook)
}

/// The documents of already-read grids (no error when there are none).
pub fn workbook_from_grids(path: &Path, grids: &[grid::Grid]) -> Workbook {
    let sheets = numbered(grids.iter(), classify::documents_in);
    workbook_of(path, grids, sheets)
}

/// [`workbook_from_grids`] for a report that needs no cells afterwards: each list's rows are dropped
/// from its grid as they are read, so a long list is never held both as cells and as rows.
pub fn workbook_letting_go(path: &Path, grids: &mut [grid::Grid]) -> Workbook {
    let sheets = numbered(grids.iter_mut(), classify::documents_letting_go);
    workbook_of(path, grids, sheets)
}

/// Each sheet's documents, read by `read` and numbered on from those of the sheets before it.
fn numbered<G>(grids: impl Iterator<Item = G>, mut read: impl FnMut(G, usize, usize) -> classify::SheetDocuments) -> Vec<classify::SheetDocuments> {
    let (mut tables, mut forms) = (0, 0);
    grids
        .map(|grid| {
            let found = read(grid, tables, forms);
            (tables, forms) = (tables + found.tables.len(), forms + found.forms.len());
            found
        })
        .collect()
}

fn workbook_of(path: &Path, grids: &[grid::Grid], sheets: Vec<classify::SheetDocuments>) -> Workbook {
    let (mut tables, mut forms, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
    for found in sheets {
        tables.extend(found.tables);
        forms.extend(found.forms);
        skipped.extend(found.skipped);
    }
    settle_units(path, &mut tables, &mut forms);
    let formula_notes = grids.iter().filter(|g| !g.formula_notes.is_empty()).map(|g| g.formula_notes.clone()).collect();
    Workbook { path: path.to_path_buf(), sheets: grids.iter().map(|g| g.name.clone()).collect(), tables, forms, skipped, formula_notes }
}

/// Tables that name no unit belong to the one unit the rest of the workbook names (a report whose
/// 单位名称 line heads only its first table); where it names none or several, to the file.
fn settle_units(path: &Path, tables: &mut [ListTable], forms: &mut [Form]) {
    let mut named = tables.iter().map(|t| t.unit.as_str()).chain(forms.iter().map(|f| f.unit.as_str())).filter(|u| !u.is_empty());
    let first = named.next().map(str::to_string);
    let only_one = first.as_deref().filter(|first| named.all(|other| unit::same_unit(&unit::unit_key(first), &unit::unit_key(other))));
    let fallback = only_one.map(str::to_string).unwrap_or_else(|| file_unit(path));
    for table in tables.iter_mut().filter(|t| t.unit.is_empty()) {
        table.unit = fallback.clone();
    }
    for form in forms.iter_mut().filter(|f| f.unit.is_empty()) {
        form.unit = fallback.clone();
    }
}

/// The unit of a workbook that names none: what its file name names once document words, table
/// numbers and dates are taken out (`表1-表8-月坛街道-2020.xlsx` → 月坛街道), else the name itself.
fn file_unit(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    unit::name_hint(&stem).unwrap_or(stem)
}

/// Reads every document of a workbook, whatever it holds; an error only when the file cannot be read.
///
/// # Errors
/// [`Error::FileNotFound`], [`Error::NotASpreadsheet`], [`Error::PasswordProtected`], [`Error::EmptyWorkbook`].
pub fn read_documents(path: &Path) -> Result<Workbook> {
    read_documents_within(path, &grid::ReadLimits::default())
}

/// [`read_documents`] within the given limits.
///
/// # Errors
/// As [`read_documents`], and [`Error::TooLarge`] past a limit.
pub fn read_documents_within(path: &Path, limits: &grid::ReadLimits) -> Result<Workbook> {
    // Nothing here needs the cells once the documents are read.
    Ok(workbook_letting_go(path, &mut grid::read_grids_within(path, limits)?))
}

/// Like [`read_workbook`], but a figure that is not a number is an error naming its cell:
/// what `extract` and `read_list` need, since they promise clean numbers.
///
/// # Errors
/// As [`read_workbook`], plus [`Error::InvalidFigure`].
pub fn read_workbook_strict(path: &Path) -> Result<Workbook> {
    read_workbook_strict_within(path, &grid::ReadLimits::default())
}

/// [`read_workbook_strict`] within the given limits.
///
/// # Errors
/// As [`read_workbook_strict`], and [`Error::TooLarge`] past a limit.
pub fn read_workbook_strict_within(path: &Path, limits: &grid::ReadLimits) -> Result<Workbook> {
    let workbook = read_workbook_within(path, limits)?;
    for table in &workbook.tables {
        for row in &table.rows {
            let fields = Amount::ALL.iter().map(|a| (a.label(Lang::Zh), row.amount(*a))).chain([("预算支出比例", &row.ratio)]);
            for (column, field) in fields {
                if let Field::Invalid { cell, text, .. } = field {
                    return Err(Error::InvalidFigure {
                        path: path.to_path_buf(),
                        sheet: table.sheet.clone(),
                        cell: *cell,
                        column: column.to_string(),
                        text: text.to_string(),
                    });
                }
            }
        }
    }
    Ok(workbook)
}
