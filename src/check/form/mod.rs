//! The rule families of performance forms (FORMATS.md §2, §5): the fund block, the indicators and
//! the scoring of a form, each in its own module over the shared rounding model.

pub mod fund;
pub mod indicators;
pub mod scoring;

use crate::check::Sink;
use crate::model::Form;

pub fn check(form: &Form, sink: &mut Sink) {
    fund::check(form, sink);
    indicators::check(form, sink);
    scoring::check(form, sink);
}

#[cfg(test)]
mod tests;
