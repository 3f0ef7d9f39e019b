//! [`Screen`]: the terminal taken over for the dashboard, and given back.
//!
//! Taking over means raw mode, the alternate screen, and moving stdout and stderr (file
//! descriptors 1 and 2) onto pipes: whatever the load test prints (a `print()` in a Python
//! scenario, a panic message, a child process of a `-p` run) becomes lines in the panes
//! instead of characters written over the drawing. The dashboard draws on its own copy of
//! the terminal. Dropping the `Screen` puts everything back, in every case (normal end, error,
//! panic unwinding through it).
//!
//! It is made before the processes of `-p` are forked. Each forked process gets pipes of its
//! own ([`ChildOutput`]), so lines from different processes never interleave
//! mid-line and each is labelled `[P:pid]`; it lets go of the parent's copy with
//! [`Screen::release_in_child`], which restores nothing.

use std::fs::File;
use std::io::{self, BufRead as _, BufReader, PipeReader, PipeWriter, Write as _};
use std::os::fd::{AsFd as _, OwnedFd};
use std::sync::mpsc;

use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute};

use crate::lines::Line;

/// The terminal in dashboard mode.
pub(crate) struct Screen {
    /// The terminal, as stdout was before the pipes took its place.
    tty: File,
    /// Stderr as it was.
    stderr: OwnedFd,
    /// What is written to stdout and to stderr while the screen is ours, by this process and
    /// by each forked one, until [`Screen::capture`] starts reading it.
    captured: Vec<Captured>,
    /// Dropping restores the terminal (false in a forked child).
    owner: bool,
}

impl Screen {
    /// Takes over the terminal stdout is on. On failure nothing is left changed.
    pub(crate) fn enter() -> io::Result<Screen> {
        let _ = io::stdout().lock().flush();
        let tty = File::from(io::stdout().as_fd().try_clone_to_owned()?);
        let stderr = io::stderr().as_fd().try_clone_to_owned()?;
        let (out, out_writer) = io::pipe()?;
        let (err, err_writer) = io::pipe()?;
        enable_raw_mode()?;
        // From here on, dropping `screen` undoes whatever was done.
        let mut screen = Screen {
            tty,
            stderr,
            captured: vec![
                Captured::new(out, false, String::new()),
                Captured::new(err, true, String::new()),
            ],
            owner: true,
        };
        execute!(screen.tty, EnterAlternateScreen, cursor::Hide)?;
        nix::unistd::dup2_stdout(&out_writer)?;
        nix::unistd::dup2_stderr(&err_writer)?;
        Ok(screen)
    }

    /// A copy of the terminal to draw on.
    pub(crate) fn tty(&self) -> io::Result<File> {
        self.tty.try_clone()
    }

    /// Starts reading what is printed, as lines (stderr's flagged as errors) sent to the
    /// returned channel. The reading threads end when every writer has closed its end.
    pub(crate) fn capture(&mut self) -> mpsc::Receiver<Line> {
        let (sender, lines) = mpsc::channel();
        for captured in self.captured.drain(..) {
            let sender = sender.clone();
            // Without the thread the text goes nowhere, which is no reason to stop.
            let _ = std::thread::Builder::new()
                .name("molotov-capture".into())
                .spawn(move || captured.read_lines(&sender));
        }
        lines
    }

    /// In the parent, after the fork: reads the process's output, labelled with its id.
    pub(crate) fn adopt(&mut self, output: ChildOutput, pid: u32) {
        let ChildOutput {
            readers: [out, err],
            writers,
        } = output;
        drop(writers);
        let prefix = format!("[P:{pid}] ");
        self.captured
            .push(Captured::new(out, false, prefix.clone()));
        self.captured.push(Captured::new(err, true, prefix));
    }

    /// In a forked child: points stdout and stderr at this process's own pipes, and closes
    /// the parent's copies; changes nothing on the terminal.
    pub(crate) fn release_in_child(mut self, output: ChildOutput) -> io::Result<()> {
        self.owner = false;
        let ChildOutput {
            readers,
            writers: [out, err],
        } = output;
        drop(readers);
        nix::unistd::dup2_stdout(&out)?;
        nix::unistd::dup2_stderr(&err)?;
        Ok(())
    }
}

/// The stdout and stderr pipes of one forked process.
pub(crate) struct ChildOutput {
    readers: [PipeReader; 2],
    writers: [PipeWriter; 2],
}

impl ChildOutput {
    /// Pipes for a process about to be forked.
    pub(crate) fn new() -> io::Result<ChildOutput> {
        let (out, out_writer) = io::pipe()?;
        let (err, err_writer) = io::pipe()?;
        Ok(ChildOutput {
            readers: [out, err],
            writers: [out_writer, err_writer],
        })
    }
}

/// One captured stream.
struct Captured {
    reader: PipeReader,
    /// Stderr: its lines go to the error pane.
    error: bool,
    /// Put before each line (`[P:pid] ` for a forked process).
    prefix: String,
}

impl Captured {
    fn new(reader: PipeReader, error: bool, prefix: String) -> Self {
        Captured {
            reader,
            error,
            prefix,
        }
    }

    fn read_lines(self, sender: &mpsc::Sender<Line>) {
        let mut reader = BufReader::new(self.reader);
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            match reader.read_until(b'\n', &mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&buffer);
                    let text = text.trim_end_matches(['\n', '\r']);
                    let text = format!("{}{text}", self.prefix);
                    // When nobody shows the lines any more, keep draining so writers never
                    // block.
                    let _ = sender.send(Line {
                        text,
                        error: self.error,
                    });
                }
            }
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        if !self.owner {
            return;
        }
        // Best effort all along: a terminal that cannot be restored cannot be told so either.
        let _ = io::stdout().lock().flush();
        let _ = nix::unistd::dup2_stdout(&self.tty);
        let _ = nix::unistd::dup2_stderr(&self.stderr);
        let _ = execute!(self.tty, LeaveAlternateScreen, cursor::Show);
        let _ = disable_raw_mode();
    }
}
