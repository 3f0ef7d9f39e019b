//! The `molotov-target` binary: a thin shell around [`molotov_target::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    molotov_target::cli(std::env::args_os())
}
