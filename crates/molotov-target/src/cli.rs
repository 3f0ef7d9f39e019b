//! The `molotov-target` command line, also callable from the Python package.

use std::ffi::OsString;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use clap::error::ErrorKind;

use crate::config::TargetConfig;
use crate::counters::Counters;
use crate::server;

/// Exit code for a command line that cannot be used.
const USAGE_ERROR: u8 = 2;
/// Exit code for a server that could not start.
const START_ERROR: u8 = 1;

/// A small HTTP server to aim molotov load tests at.
#[derive(Debug, Parser)]
#[command(name = "molotov-target", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free one (read it from the printed line).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Serve HTTPS with a self-signed certificate (HTTP/2 via ALPN).
    #[arg(long)]
    tls: bool,
    /// Runtime worker threads.
    #[arg(long, default_value_t = 1, value_parser = parse_threads)]
    threads: usize,
}

/// A worker thread count: at least one, and not absurd.
fn parse_threads(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(threads @ 1..=1024) => Ok(threads),
        _ => Err(format!("expected a number from 1 to 1024, got {text:?}")),
    }
}

/// The command-line entry point: parses `args` (program name first), serves until SIGINT or
/// SIGTERM, and returns 0 then; 2 for a bad command line, 1 if the server cannot start.
pub fn cli<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    ExitCode::from(cli_status(args))
}

/// [`cli`], returning the exit status as a number (for embedders such as the Python package,
/// which hand it to their own `exit`).
pub fn cli_status<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match Args::try_parse_from(args) {
        Ok(args) => args,
        Err(error) => return usage(&error),
    };
    match run(&args) {
        Ok(()) => 0,
        Err(error) => {
            report(&format!("error: {error:#}"));
            START_ERROR
        }
    }
}

/// `--help` and `--version` go to stdout with success; anything else is one `error:` line.
fn usage(error: &clap::Error) -> u8 {
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = error.print();
        return 0;
    }
    let rendered = error.render().to_string();
    let line = rendered.lines().next().unwrap_or("error: bad command line");
    report(line);
    USAGE_ERROR
}

/// Writes one line to stderr.
#[allow(clippy::print_stderr, reason = "the CLI reports its errors on stderr")]
fn report(line: &str) {
    eprintln!("{line}");
}

/// Binds, announces the address, serves until a stop signal.
fn run(args: &Args) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .thread_name("molotov-target-worker")
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
            .await
            .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
        let addr = listener
            .local_addr()
            .context("cannot read the bound address")?;
        // Before announcing: a script may send SIGTERM as soon as it reads the line.
        let stop = stop_signal().context("cannot watch for stop signals")?;
        let scheme = if args.tls { "https" } else { "http" };
        announce(&format!("molotov-target listening on {scheme}://{addr}"));
        let config = TargetConfig {
            tls: args.tls,
            threads: args.threads,
        };
        server::serve(listener, config, Arc::new(Counters::new()), stop)
            .await
            .context("cannot serve")
    })
}

/// Prints the one stdout line scripts wait for, flushed so a pipe sees it at once.
#[allow(
    clippy::print_stdout,
    reason = "the listening line is the CLI's output contract"
)]
fn announce(line: &str) {
    let mut stdout = std::io::stdout().lock();
    // A closed stdout is the reader's choice; the server still runs.
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

/// A future that completes on SIGINT or SIGTERM; the handlers are installed on return.
#[cfg(unix)]
fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// A future that completes on Ctrl-C.
#[cfg(not(unix))]
fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[cfg(test)]
mod tests {
    use super::{Args, parse_threads};
    use clap::Parser;

    #[test]
    fn defaults() {
        let args = Args::try_parse_from(["molotov-target"]).unwrap();
        assert_eq!(args.host, "127.0.0.1");
        assert_eq!(args.port, 8080);
        assert!(!args.tls);
        assert_eq!(args.threads, 1);
    }

    #[test]
    fn thread_counts() {
        assert_eq!(parse_threads("4"), Ok(4));
        assert!(parse_threads("0").is_err());
        assert!(parse_threads("many").is_err());
    }
}
