//! Where a run's progress and summary go: nowhere (`-q`), the dashboard (a terminal), or the
//! line console.

use std::io::IsTerminal as _;
use std::io::Write as _;

use molotov_core::{Runner, Shutdown};

use crate::capture::Capture;
use crate::console::{Console, ConsoleOptions, Outputs};
use crate::dashboard::{Dashboard, DashboardOptions, Screen};
use crate::render;
use crate::settings::{Output, Settings};
use crate::threshold::LiveVerdicts;

/// Where the run's progress and summary go.
pub(crate) enum Display {
    /// `-q`: nowhere.
    Quiet,
    /// The console thread, the only writer of stdout until the end, and the capture of what
    /// the load test prints (none if it could not be made).
    Console(Console, Option<Capture>),
    /// The full-screen dashboard; the summary is printed once the terminal is restored.
    Dashboard(Dashboard),
    /// The console thread could not start: the banner and the summary, written directly.
    Direct,
}

/// The terminal, taken over for the dashboard before `-p` forks (the processes then share its
/// raw mode and alternate screen). What is printed is captured only when the display starts,
/// in the parent: each forked process captures its own output.
pub(crate) enum Seized {
    /// The dashboard's terminal.
    Screen(Screen),
    /// Nothing taken (the line console, `-q`, or a terminal that could not be).
    Nothing,
}

impl Seized {
    /// Takes what the view `settings` ask for needs.
    pub(crate) fn take(settings: &Settings) -> Seized {
        match settings.output {
            Output::Dashboard => Screen::enter().map_or(Seized::Nothing, Seized::Screen),
            Output::Quiet | Output::Simple => Seized::Nothing,
        }
    }

    /// In a forked process: lets go of the parent's terminal, restoring nothing.
    pub(crate) fn release_in_child(self) {
        if let Seized::Screen(screen) = self {
            screen.release_in_child();
        }
    }
}

impl Display {
    /// Starts showing the run's notices: on the dashboard when the screen was seized, else as
    /// lines after a banner.
    pub(crate) fn start(
        seized: Seized,
        runner: &mut Runner,
        settings: &Settings,
        shutdown: &Shutdown,
        thresholds: Option<LiveVerdicts>,
    ) -> Display {
        if settings.output == Output::Quiet {
            return Display::Quiet;
        }
        if let Seized::Screen(mut screen) = seized {
            screen.install(&runner.notices());
            return Display::dashboard(screen, runner, settings, shutdown, thresholds);
        }
        let capture = Capture::start().ok().map(|mut capture| {
            capture.install(&runner.notices());
            capture
        });
        let notices = runner.take_notices();
        Display::lines(notices, capture, runner, settings, shutdown)
    }

    fn dashboard(
        screen: Screen,
        runner: &mut Runner,
        settings: &Settings,
        shutdown: &Shutdown,
        thresholds: Option<LiveVerdicts>,
    ) -> Display {
        let notices = runner.take_notices();
        let options = DashboardOptions {
            update: settings.console_update,
            verbose: settings.run.verbose,
            processes: settings.processes,
            percentiles: settings.percentiles.clone(),
            thresholds: thresholds.filter(|_| !settings.thresholds.is_empty()),
        };
        let started = Dashboard::start(
            screen,
            notices,
            runner.progress(),
            shutdown.clone(),
            options,
        );
        match started {
            Ok(dashboard) => Display::Dashboard(dashboard),
            // No usable terminal after all: the line console, with nothing captured (the
            // prints already captured come with the notices).
            Err((_, notices)) => Display::lines(notices, None, runner, settings, shutdown),
        }
    }

    /// The line console.
    fn lines(
        notices: Option<molotov_core::NoticeReceiver>,
        capture: Option<Capture>,
        runner: &Runner,
        settings: &Settings,
        shutdown: &Shutdown,
    ) -> Display {
        // The footer is drawn in place on a terminal: the real stdout's, not the capture's.
        let live_footer = match &capture {
            Some(capture) => capture.real(false).is_ok_and(|out| out.is_terminal()),
            None => std::io::stdout().is_terminal(),
        };
        let options = ConsoleOptions {
            update: settings.console_update,
            verbose: settings.run.verbose,
            processes: settings.processes,
            live_footer,
        };
        let banner = format!("{}\n", render::banner());
        let outputs = capture
            .as_ref()
            .and_then(|c| {
                Some(Outputs {
                    out: Box::new(c.real(false).ok()?),
                    err: Box::new(c.real(true).ok()?),
                })
            })
            .unwrap_or_else(Outputs::std);
        let console = Console::start(
            banner.clone(),
            notices,
            runner.progress(),
            shutdown.clone(),
            options,
            outputs,
        );
        if let Ok(console) = console {
            return Display::Console(console, capture);
        }
        // Stdout as it was: what is printed goes straight there again.
        drop(capture);
        print_stdout(&banner);
        Display::Direct
    }

    /// Shows what is left (what was printed last included), then `last` (the summary).
    pub(crate) fn finish(self, last: String) {
        match self {
            Display::Quiet => {}
            Display::Console(console, capture) => {
                if let Some(capture) = &capture {
                    capture.flush();
                }
                console.finish(last);
                // Stdout and stderr are given back only now: the console wrote to copies.
                drop(capture);
            }
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
