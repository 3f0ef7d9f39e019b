//! Where a run's progress and summary go: nowhere (`-q`), the dashboard (a terminal), or the
//! line console.

use std::io::IsTerminal as _;
use std::io::Write as _;

use molotov_core::{Runner, Shutdown};

use crate::console::{Console, ConsoleOptions};
use crate::dashboard::{Dashboard, Screen};
use crate::render;
use crate::settings::{Output, Settings};

/// Where the run's progress and summary go.
pub(crate) enum Display {
    /// `-q`: nowhere.
    Quiet,
    /// The console thread, the only writer of stdout until the end.
    Console(Console),
    /// The full-screen dashboard; the summary is printed once the terminal is restored.
    Dashboard(Dashboard),
    /// The console thread could not start: the banner and the summary, written directly.
    Direct,
}

impl Display {
    /// Takes over the terminal when the dashboard is wanted and the terminal lets it. Called
    /// before the processes of `-p` are forked, so that what they print reaches the panes.
    pub(crate) fn take_terminal(settings: &Settings) -> Option<Screen> {
        (settings.output == Output::Dashboard)
            .then(Screen::enter)
            .and_then(Result::ok)
    }

    /// Starts showing the run's notices: on the dashboard when `screen` is given, else as
    /// lines after a banner.
    pub(crate) fn start(
        screen: Option<Screen>,
        runner: &mut Runner,
        settings: &Settings,
        shutdown: &Shutdown,
    ) -> Display {
        if settings.output == Output::Quiet {
            return Display::Quiet;
        }
        if let Some(screen) = screen {
            let notices = runner.take_notices();
            let started = Dashboard::start(
                screen,
                notices,
                runner.progress(),
                shutdown.clone(),
                settings.console_update,
                settings.run.verbose,
                settings.processes,
            );
            return match started {
                Ok(dashboard) => Display::Dashboard(dashboard),
                // No usable terminal after all: the line console.
                Err((_, notices)) => Display::lines(notices, runner, settings, shutdown),
            };
        }
        let notices = runner.take_notices();
        Display::lines(notices, runner, settings, shutdown)
    }

    /// The line console.
    fn lines(
        notices: Option<molotov_core::NoticeReceiver>,
        runner: &Runner,
        settings: &Settings,
        shutdown: &Shutdown,
    ) -> Display {
        let options = ConsoleOptions {
            update: settings.console_update,
            verbose: settings.run.verbose,
            processes: settings.processes,
            live_footer: std::io::stdout().is_terminal(),
        };
        let banner = format!("{}\n", render::banner());
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
            Display::Dashboard(dashboard) => dashboard.finish(last),
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
