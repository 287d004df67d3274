//! budgetlint reads the workbooks Chinese budget units submit with their performance-tracking
//! reports (绩效跟踪 附件1, report tables 表1…表N), recomputes every aggregate exactly under the
//! rounding model of the figures as shown, and reports each inconsistency where it is.
//!
//! Data flows one way: [`read`] (grid → tables → typed rows) → [`model`] → [`check`] → [`report`] → [`write`].
//! The command line ([`cli`]) and the Python module are thin layers over these functions.

pub mod batch;
pub mod check;
pub mod cli;
pub mod custom_rules;
mod error;
pub mod model;
pub mod read;
pub mod report;
#[cfg(feature = "python")]
mod python;
pub mod settings;
pub mod write;

pub use crate::error::{Error, Result};
pub use crate::model::{
    Amount, CellRef, Columns, ExtraColumn, Field, Figure, Lang, ListRow, ListTable, RowKind, MoneyUnit, Workbook,
};
pub use crate::read::{read_workbook, read_workbook_strict};
