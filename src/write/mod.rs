//! Writing results: every output goes through [`atomic::write_atomically`], never over an input.

pub mod atomic;

pub use atomic::write_atomically;
