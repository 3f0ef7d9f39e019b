//! [`Screen`]: the terminal taken over for the dashboard, and given back.
//!
//! Taking over means raw mode, the alternate screen, and capturing stdout and stderr (see
//! `capture`): whatever the load test prints (a `print()` in a Python scenario, a panic
//! message, a forked process of a `-p` run) becomes lines in the panes, in order with
//! molotov's own, instead of characters written over the drawing. The dashboard draws on its
//! own copy of the terminal. Dropping the `Screen` puts everything back, in every case (normal
//! end, error, panic unwinding through it).
//!
//! It is made before the processes of `-p` are forked, and captures output only once they are
//! ([`Screen::install`]); a forked process lets go of the parent's copy with
//! [`Screen::release_in_child`], which restores nothing, and captures its own output (its lines
//! reach the parent with its other lines, labelled `[P:pid]`).

use std::fs::File;
use std::io::{self, Write as _};

use molotov_core::Notices;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute};

use crate::capture::Capture;

/// The terminal in dashboard mode.
pub(crate) struct Screen {
    /// The terminal, as stdout was before the capture took its place.
    tty: File,
    /// What the load test prints (`None` once released in a forked process).
    capture: Option<Capture>,
    /// Dropping restores the terminal (false in a forked child).
    owner: bool,
}

impl Screen {
    /// Takes over the terminal stdout is on. On failure nothing is left changed.
    pub(crate) fn enter() -> io::Result<Screen> {
        let _ = io::stdout().lock().flush();
        let tty = File::from(std::os::fd::AsFd::as_fd(&io::stdout()).try_clone_to_owned()?);
        enable_raw_mode()?;
        // From here on, dropping `screen` undoes whatever was done.
        let mut screen = Screen {
            tty,
            capture: None,
            owner: true,
        };
        execute!(screen.tty, EnterAlternateScreen, cursor::Hide)?;
        Ok(screen)
    }

    /// A copy of the terminal to draw on.
    pub(crate) fn tty(&self) -> io::Result<File> {
        self.tty.try_clone()
    }

    /// Captures stdout and stderr, and has the run's `notices` carry what is printed (see
    /// [`Capture::install`]). Without a capture, what is printed goes over the drawing (the
    /// next frame repaints it).
    pub(crate) fn install(&mut self, notices: &Notices) {
        if self.capture.is_none() && self.owner {
            if let Ok(mut capture) = Capture::start() {
                capture.install(notices);
                self.capture = Some(capture);
            }
        }
    }

    /// Sends what was printed and not yet taken.
    pub(crate) fn flush(&self) {
        if let Some(capture) = &self.capture {
            capture.flush();
        }
    }

    /// In a forked child: changes nothing on the terminal. (Nothing is captured yet: the
    /// parent captures once every process is forked.)
    pub(crate) fn release_in_child(mut self) {
        self.owner = false;
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        if !self.owner {
            return;
        }
        // Stdout and stderr first, so the last lines and the summary reach the terminal.
        drop(self.capture.take());
        // Best effort all along: a terminal that cannot be restored cannot be told so either.
        let _ = execute!(self.tty, LeaveAlternateScreen, cursor::Show);
        let _ = disable_raw_mode();
    }
}
