//! The `molotov` command of the Rust crate: the one-URL mode (`molotov -w 10 -d 30
//! http://host/path`) with every option of the command line. Molotov scripts run with the
//! Python package's `molotov`; Rust load tests call [`molotov::main`] from their own `main`.

use std::process::ExitCode;

fn main() -> ExitCode {
    molotov::run_with_loader(std::env::args_os(), molotov::Host::Urls, |_| {
        // Only reached without a URL, which the command line refuses first.
        anyhow::bail!("no URL to load")
    })
    .into()
}
