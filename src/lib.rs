//! budgetlint reads the workbooks Chinese budget units submit with their performance-tracking
//! reports (绩效跟踪 附件1 lists, report tables 表1…表N, 附件2 and the national 申报表 / 执行监控表 /
//! 自评表 forms, from one or more units), recomputes every aggregate exactly under the rounding model
//! of the figures as shown, reconciles the documents within each unit, and reports each
//! inconsistency where it is.
//!
//! Data flows one way: [`read`] (grid → documents: lists and forms → typed rows) → [`model`] →
//! [`check`] → [`report`] → [`write`](mod@write). The command line ([`cli`]), [`batch`] and the Python module are
//! thin layers over these functions.

pub mod batch;
pub mod check;
pub mod cli;
pub mod custom_rules;
mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod model;
mod memory;
mod parallel;
pub mod read;
pub mod report;
#[cfg(feature = "python")]
mod python;
pub mod settings;
pub mod write;

pub use crate::error::{Error, Result};
pub use crate::model::{
    Amount, CellRef, Columns, Document, ExtraColumn, Field, Figure, Form, FormKind, Indicator, Lang, ListRow, ListTable,
    MoneyUnit, RowKind, Workbook,
};
pub use crate::read::grid::ReadLimits;
pub use crate::read::{
    read_documents, read_documents_within, read_workbook, read_workbook_strict, read_workbook_strict_within,
    read_workbook_within,
};
