//! [`Capture`]: what the load test prints, taken from stdout and stderr so that it is shown in
//! order with molotov's own lines.
//!
//! File descriptors 1 and 2 are moved onto pipes (a Python `print()`, a Rust `println!`, a
//! library or a program the test starts all write there), and the views write to copies of
//! the real ones. The engine reads the pipes before it sends each notice (see
//! `molotov_core::PrintSource`), under one lock, so a print made before a notice is shown
//! before it, whatever thread or process shows them. A thread of its own also takes what is
//! printed as soon as it is there, so a test that prints a lot between two notices never
//! waits on a full pipe.
//!
//! [`Capture::start`] moves the descriptors, [`Capture::install`] has a run's notices read the
//! pipes; dropping the capture puts the descriptors back. With `-p`, the parent captures once
//! the processes are forked, and each process captures its own output, which reaches the
//! parent with its other lines: a process whose parent is gone (killed) still has the real
//! stdout and stderr to fall back on.

use std::fs::File;
use std::io::{self, ErrorKind, PipeReader, Read as _, Write as _};
use std::os::fd::{AsFd, AsRawFd as _, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use molotov_core::{Notices, PrintSource};
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// How long the capture thread waits for output before it looks whether it must stop.
const POLL_MS: u16 = 50;
/// The most read from a pipe in one go (a buffer on the stack: taking nothing, which is what
/// most notices find, costs one `read` per pipe and no allocation).
const CHUNK: usize = 16 * 1024;

/// Stdout and stderr moved onto pipes.
pub(crate) struct Capture {
    /// Stdout and stderr as they were: where the views write.
    real: [File; 2],
    /// The read ends of the pipes, until a run's notices take them.
    readers: Option<[PipeReader; 2]>,
    /// The notices that read the pipes, and the thread that has them read as output comes.
    installed: Option<(Notices, Arc<AtomicBool>, JoinHandle<()>)>,
}

impl Capture {
    /// Moves stdout and stderr onto pipes. On failure nothing is left changed.
    pub(crate) fn start() -> io::Result<Capture> {
        let _ = io::stdout().lock().flush();
        let _ = io::stderr().lock().flush();
        let real_out = File::from(io::stdout().as_fd().try_clone_to_owned()?);
        let real_err = File::from(io::stderr().as_fd().try_clone_to_owned()?);
        let (out, out_writer) = io::pipe()?;
        let (err, err_writer) = io::pipe()?;
        for reader in [&out, &err] {
            let flags = OFlag::from_bits_truncate(fcntl(reader, FcntlArg::F_GETFL)?);
            fcntl(reader, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
        }
        nix::unistd::dup2_stdout(&out_writer)?;
        if let Err(e) = nix::unistd::dup2_stderr(&err_writer) {
            let _ = nix::unistd::dup2_stdout(&real_out);
            return Err(e.into());
        }
        Ok(Capture {
            real: [real_out, real_err],
            readers: Some([out, err]),
            installed: None,
        })
    }

    /// Where the views write: a copy of the real stdout (`stderr` false) or stderr.
    pub(crate) fn real(&self, stderr: bool) -> io::Result<File> {
        self.real[usize::from(stderr)].try_clone()
    }

    /// Has `notices` read the pipes before each notice, and a thread send what is printed as
    /// it comes. Once only; later calls do nothing.
    pub(crate) fn install(&mut self, notices: &Notices) {
        let Some(readers) = self.readers.take() else {
            return;
        };
        let polled: io::Result<Vec<OwnedFd>> = readers
            .iter()
            .map(|r| r.as_fd().try_clone_to_owned())
            .collect();
        if !notices.capture_prints(Box::new(Pipes { readers })) {
            return;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let Ok(polled) = polled else {
            // Without the thread, output is still taken with each notice and at the end.
            return;
        };
        let thread = std::thread::Builder::new()
            .name("molotov-capture".into())
            .spawn({
                let (notices, stop) = (notices.clone(), stop.clone());
                move || follow(&polled, &notices, &stop)
            });
        if let Ok(thread) = thread {
            self.installed = Some((notices.clone(), stop, thread));
        }
    }

    /// Sends what was printed and not yet taken.
    pub(crate) fn flush(&self) {
        let _ = io::stdout().lock().flush();
        let _ = io::stderr().lock().flush();
        if let Some((notices, ..)) = &self.installed {
            notices.send_printed();
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if let Some((notices, stop, thread)) = self.installed.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = thread.join();
            let _ = io::stdout().lock().flush();
            let _ = io::stderr().lock().flush();
            notices.send_printed();
        }
        // Best effort: descriptors that cannot be restored cannot be reported either.
        let _ = nix::unistd::dup2_stdout(&self.real[0]);
        let _ = nix::unistd::dup2_stderr(&self.real[1]);
    }
}

/// Waits for output and has it sent, until told to stop.
fn follow(polled: &[OwnedFd], notices: &Notices, stop: &AtomicBool) {
    let fds: Vec<BorrowedFd<'_>> = polled.iter().map(AsFd::as_fd).collect();
    while !stop.load(Ordering::Relaxed) {
        let mut wanted: Vec<PollFd<'_>> = fds
            .iter()
            .map(|fd| PollFd::new(*fd, PollFlags::POLLIN))
            .collect();
        match poll(&mut wanted, PollTimeout::from(POLL_MS)) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => {}
            Ok(_) => {
                let hung_up = wanted.iter().all(|p| {
                    p.revents().is_some_and(|r| {
                        r.contains(PollFlags::POLLHUP) && !r.contains(PollFlags::POLLIN)
                    })
                });
                notices.send_printed();
                if hung_up {
                    // Every writer is gone: nothing more can come.
                    return;
                }
                pause();
            }
            Err(_) => return,
        }
    }
}

/// A breath between two takes: when the console is far behind, the output stays in the pipes
/// and polling again at once would spin.
#[allow(
    clippy::disallowed_methods,
    reason = "the capture's own thread, not a runtime's: sleeping blocks nothing else"
)]
fn pause() {
    std::thread::sleep(std::time::Duration::from_millis(1));
}

/// The read ends of the pipes, as the engine reads them.
struct Pipes {
    readers: [PipeReader; 2],
}

impl PrintSource for Pipes {
    fn take(&mut self, sink: &mut dyn FnMut(bool, Vec<u8>)) {
        for (stderr, reader) in [false, true].into_iter().zip(&mut self.readers) {
            let mut buffer = [0; CHUNK];
            loop {
                match reader.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => {
                        sink(stderr, buffer[..n].to_vec());
                        if n < CHUNK {
                            break;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    // Nothing more now (WouldBlock), or a pipe that cannot be read.
                    Err(_) => break,
                }
            }
        }
    }
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("stdout", &self.real[0].as_raw_fd())
            .field("installed", &self.installed.is_some())
            .finish_non_exhaustive()
    }
}
