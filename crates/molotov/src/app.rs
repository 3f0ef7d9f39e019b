//! The edge: command line → settings → plan → run → console, summary, results file, exit code.
//!
//! Everything before the run is validated first, so a mistake costs one clear `error:` line
//! and exit code 2 before any load is sent.

use std::ffi::OsString;
use std::io::IsTerminal as _;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context as _;
use molotov_core::{Plan, Runner, Shutdown};

use crate::args::Args;
use crate::config_file;
use crate::console::{Console, ConsoleOptions};
use crate::exit::ExitStatus;
use crate::render;
use crate::results;
use crate::settings::{Output, Settings};
use crate::signal;

/// Who drives the command line; decides what the script argument and the Python-only options
/// mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// A Rust load test: the scenarios are compiled in.
    Rust,
    /// The Python package: the loader imports the script and extensions.
    Python,
}

/// Runs a Rust load test with the process's command line: `fn main() -> ExitCode {
/// molotov::main(plan) }`.
pub fn main(plan: Plan) -> ExitCode {
    run_with_loader(std::env::args_os(), Host::Rust, move |_| Ok(plan)).into()
}

/// Runs molotov with `argv` (program name first); `load` builds the plan once the options are
/// known (the Python package imports the script there).
pub fn run_with_loader<I, T, L>(argv: I, host: Host, load: L) -> ExitStatus
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
    L: FnOnce(&Settings) -> anyhow::Result<Plan>,
{
    run_with_hooks(argv, host, ParkHooks::default(), load)
}

/// Code to run each time the engine's thread is about to sleep (no task ready) and when it
/// wakes up. A host that holds a lock while the engine runs (the Python adapter holds the
/// GIL) releases it there, so other threads get it whenever the engine waits for I/O.
#[derive(Clone, Default)]
pub struct ParkHooks {
    /// Called before the thread sleeps.
    pub before_park: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Called after it wakes up; always paired with `before_park`.
    pub after_unpark: Option<Arc<dyn Fn() + Send + Sync>>,
}

/// [`run_with_loader`] with hooks around the engine thread's sleeps.
pub fn run_with_hooks<I, T, L>(argv: I, host: Host, hooks: ParkHooks, load: L) -> ExitStatus
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
    L: FnOnce(&Settings) -> anyhow::Result<Plan>,
{
    let settings = match settings(argv) {
        Ok(settings) => settings,
        Err(status) => return status,
    };
    let prepared = prepare(&settings, host, load).and_then(|runner| {
        // A results file that cannot be written is found out now, not after the run.
        let json = match &settings.json {
            Some(path) => Some(
                results::create(path)
                    .with_context(|| format!("cannot write the results to {}", path.display()))?,
            ),
            None => None,
        };
        Ok((runner, json))
    });
    match prepared {
        Ok((runner, json)) => run(runner, &settings, json, hooks),
        Err(e) => {
            eprint_line(&format!("error: {e:#}"));
            ExitStatus::Usage
        }
    }
}

/// Parses and validates; prints help, the version or one error line.
fn settings<I, T>(argv: I) -> Result<Settings, ExitStatus>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut parsed = match Args::parse_from_argv(argv) {
        Ok(parsed) => parsed,
        Err(e) => return Err(clap_exit(&e)),
    };
    let result = (|| -> anyhow::Result<Settings> {
        if let Some(path) = parsed.args.config.clone() {
            config_file::apply(&mut parsed, &path)?;
        }
        Ok(Settings::from_parsed(parsed)?)
    })();
    result.map_err(|e| {
        eprint_line(&format!("error: {e:#}"));
        ExitStatus::Usage
    })
}

fn clap_exit(e: &clap::Error) -> ExitStatus {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitStatus::Success;
    }
    // One line: clap's first line names the option and what is wrong with its value.
    let rendered = e.render().to_string();
    let first = rendered
        .lines()
        .next()
        .unwrap_or("error: invalid arguments");
    eprint_line(&format!("{first} (see --help)"));
    ExitStatus::Usage
}

/// Checks what this host supports, loads the plan and validates it.
fn prepare<L>(settings: &Settings, host: Host, load: L) -> anyhow::Result<Runner>
where
    L: FnOnce(&Settings) -> anyhow::Result<Plan>,
{
    if settings.processes > 1 {
        anyhow::bail!("-p/--processes above 1 is not available yet; run several molotov commands");
    }
    if settings.sizing.is_some() {
        anyhow::bail!("--sizing is not available yet");
    }
    if settings.statsd.is_some() {
        anyhow::bail!("--statsd is not available yet");
    }
    if host == Host::Rust && settings.output != Output::Quiet {
        for (given, what) in [
            (settings.is_explicit("scenario"), "the scenario argument"),
            (settings.uvloop, "--uvloop"),
            (settings.debug, "--debug"),
            (!settings.extensions.is_empty(), "--use-extension"),
        ] {
            if given {
                eprint_line(&format!(
                    "warning: {what} is for Python scripts; this load test's scenarios are compiled in, so it is ignored"
                ));
            }
        }
    }
    let plan = load(settings)?;
    Runner::new(plan, settings.run.clone()).context("cannot start the load test")
}

fn run(
    mut runner: Runner,
    settings: &Settings,
    json: Option<results::ResultsFile>,
    hooks: ParkHooks,
) -> ExitStatus {
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder.enable_all();
    if let Some(f) = hooks.before_park {
        builder.on_thread_park(move || f());
    }
    if let Some(f) = hooks.after_unpark {
        builder.on_thread_unpark(move || f());
    }
    let runtime = match builder.build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprint_line(&format!("error: cannot start the async runtime: {e}"));
            return ExitStatus::Usage;
        }
    };
    let shutdown = Shutdown::new();
    let display = Display::start(&mut runner, settings, &shutdown);
    // Without the watcher a signal ends the process at once, as it would without molotov.
    let watcher = signal::watch(shutdown.clone()).ok();
    let hook = QuietPanics::install();
    let result = runtime.block_on(runner.run(shutdown.clone()));
    drop(watcher);
    drop(hook);
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            display.finish(String::new());
            eprint_line(&format!("error: {e}"));
            return ExitStatus::FixtureFailed;
        }
    };
    // The results file first: it must not depend on anyone reading stdout.
    let written = json.map_or(Ok(()), |file| {
        let shown = file.path().display().to_string();
        file.write(&summary, settings.processes)
            .map_err(|e| format!("error: cannot write the results to {shown}: {e}"))
    });
    display.finish(render::summary(&summary, settings.processes));
    if let Err(line) = written {
        eprint_line(&line);
        return ExitStatus::Usage;
    }
    ExitStatus::of(&summary, settings.fail)
}

/// Where the run's progress and summary go.
enum Display {
    /// `-q`: nowhere.
    Quiet,
    /// The console thread, the only writer of stdout until the end.
    Console(Console),
    /// The console thread could not start: the banner and the summary, written directly.
    Direct,
}

impl Display {
    /// Writes the banner and starts showing the run's notices.
    fn start(runner: &mut Runner, settings: &Settings, shutdown: &Shutdown) -> Display {
        if settings.output == Output::Quiet {
            return Display::Quiet;
        }
        let options = ConsoleOptions {
            update: settings.console_update,
            verbose: settings.run.verbose,
            processes: settings.processes,
            live_footer: std::io::stdout().is_terminal(),
        };
        let banner = format!("{}\n", render::banner());
        let notices = runner.take_notices();
        let console = Console::start(
            banner.clone(),
            notices,
            runner.progress(),
            shutdown.clone(),
            options,
        );
        console.map_or_else(
            |_| {
                print_stdout(&banner);
                Display::Direct
            },
            Display::Console,
        )
    }

    /// Shows what is left, then `last` (the summary).
    fn finish(self, last: String) {
        match self {
            Display::Quiet => {}
            Display::Console(console) => console.finish(last),
            Display::Direct => print_stdout(&last),
        }
    }
}

/// Writes to stdout; a closed stdout is not an error worth more than silence.
fn print_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn eprint_line(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}

/// While a run lasts, panics in scenario code are counted failures; the default hook would
/// print a backtrace header for each. Show the first few, briefly, then stay quiet.
struct QuietPanics {
    previous: Option<PanicHook>,
}

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send>;

impl QuietPanics {
    const SHOWN: u32 = 3;

    fn install() -> QuietPanics {
        let previous = std::panic::take_hook();
        let seen = Arc::new(AtomicU32::new(0));
        std::panic::set_hook(Box::new(move |info| {
            if seen.fetch_add(1, Ordering::Relaxed) < Self::SHOWN {
                let location = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                eprint_line(&format!("panic{location} (counted as a failure)"));
            }
        }));
        QuietPanics {
            previous: Some(previous),
        }
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            std::panic::set_hook(previous);
        }
    }
}
