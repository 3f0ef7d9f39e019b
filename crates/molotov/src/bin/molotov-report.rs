//! `molotov-report FILE...`: merges `molotov --json` results files exactly (processes,
//! machines), prints the summary, writes `--html`/`--junit`/`--json` reports and evaluates
//! `--threshold`s with molotov's exit codes.

use std::process::ExitCode;

fn main() -> ExitCode {
    molotov::report_main(std::env::args_os()).into()
}
