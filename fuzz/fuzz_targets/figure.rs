//! Cell texts (and stored numbers) read as figures, alone and as a list's columns, then checked
//! (budgetlint::fuzzing::figure).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    budgetlint::fuzzing::figure(data);
});
