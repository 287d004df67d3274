//! An indicator's target and actual phrases read and compared (budgetlint::fuzzing::indicator).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    budgetlint::fuzzing::indicator(data);
});
