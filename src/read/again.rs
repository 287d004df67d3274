//! A sheet's cells read a second time, row by row, from its file: the annotated copy of a sheet whose
//! list let go of its cells while it was checked (a long list is then never held as cells and as rows
//! at once, nor as cells while the copy is written).

use std::fs::File;
use std::io::BufReader;

use calamine::{Reader, Xlsx};

use crate::read::grid::{cell_at, CellMaker, Grid, GridCell};

/// Reads `grid`'s sheet again and hands `take` each row that holds a cell, in order, as the first read
/// made it (the values formulas computed included); `take` returning false stops the read.
///
/// # Errors
/// The sheet was read from no file, the file changed since, or it cannot be read again.
pub fn each_row_again(grid: &Grid, mut take: impl FnMut(u32, Vec<GridCell>) -> bool) -> Result<(), String> {
    let Some(file) = grid.file.as_deref() else {
        return Err(format!("工作表 {} 无法再次读取 / sheet {0} cannot be read again", grid.name));
    };
    let changed = || format!("{} 在检查期间被改动 / changed while it was checked", file.path.display());
    if !file.unchanged() {
        return Err(changed());
    }
    let input = File::open(&file.path).map_err(|e| format!("{}: {e}", file.path.display()))?;
    let mut xlsx: Xlsx<_> = Xlsx::new(BufReader::new(input)).map_err(|e| e.to_string())?;
    let mut reader = xlsx.worksheet_cells_reader(&grid.name).map_err(|e| e.to_string())?;
    let mut maker = CellMaker::default();
    let mut computed = grid.let_go.as_ref().map_or(&[][..], |l| l.computed.as_slice()).iter().peekable();
    let mut row: Option<u32> = None;
    let mut cells: Vec<GridCell> = Vec::new();
    let mut hand_over = |row: u32, mut cells: Vec<GridCell>| {
        while computed.next_if(|((r, _), _)| *r < row).is_some() {}
        while let Some(((_, col), value)) = computed.next_if(|((r, _), _)| *r == row) {
            cell_at(&mut cells, *col).value = value.clone();
        }
        take(row, cells)
    };
    while let Some((cell, style_id)) = reader.next_cell_with_style_id().map_err(|e| e.to_string())? {
        let (at, col) = cell.get_position();
        if row != Some(at) {
            if row.is_some_and(|done| done > at) || at >= grid.height() {
                return Err(changed());
            }
            if let Some(done) = row.replace(at) {
                if !hand_over(done, std::mem::take(&mut cells)) {
                    return Ok(());
                }
            }
        }
        *cell_at(&mut cells, col) = maker.make(cell.get_value(), style_id, reader.styles());
    }
    if let Some(done) = row {
        hand_over(done, cells);
    }
    // The same file numbers its looks alike; different looks mean a different file.
    if maker.looks != grid.looks {
        return Err(changed());
    }
    Ok(())
}
