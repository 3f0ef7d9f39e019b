//! Where a run's progress and summary go: nowhere (`-q`), or the console thread.

use std::io::IsTerminal as _;
use std::io::Write as _;

use molotov_core::{Runner, Shutdown};

use crate::console::{Console, ConsoleOptions};
use crate::render;
use crate::settings::{Output, Settings};

/// Where the run's progress and summary go.
pub(crate) enum Display {
    /// `-q`: nowhere.
    Quiet,
    /// The console thread, the only writer of stdout until the end.
    Console(Console),
    /// The console thread could not start: the banner and the summary, written directly.
    Direct,
}

impl Display {
    /// Writes the banner and starts showing the run's notices.
    pub(crate) fn start(runner: &mut Runner, settings: &Settings, shutdown: &Shutdown) -> Display {
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
    pub(crate) fn finish(self, last: String) {
        match self {
            Display::Quiet => {}
            Display::Console(console) => console.finish(last),
            Display::Direct => print_stdout(&last),
        }
    }
}

/// Writes to stdout; a closed stdout is not an error worth more than silence.
pub(crate) fn print_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

pub(crate) fn eprint_line(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}
