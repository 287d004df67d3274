//! Any bytes as a workbook file: read, checked, reported and annotated (budgetlint::fuzzing::workbook).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = budgetlint::fuzzing::workbook(data);
});
