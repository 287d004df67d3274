//! The `budgetlint` binary: the shared command line.

fn main() {
    std::process::exit(budgetlint::cli::run(std::env::args_os()));
}
