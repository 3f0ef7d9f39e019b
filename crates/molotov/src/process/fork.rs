//! Starting a worker process: `fork`, as Molotov does, so every process starts with what
//! `global_setup` set up (variables, connections, imported modules) without running it again.

use std::io;

/// Which side of a fork this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forked {
    /// The parent, with the child's process id.
    Parent(u32),
    /// The new process.
    Child,
}

/// Forks the process (the default for Rust load tests; the Python package forks through
/// `os.fork` so the interpreter stays consistent).
#[allow(
    unsafe_code,
    reason = "fork is unsafe in a multi-threaded process; it is called before the run starts \
              any thread of its own"
)]
pub(crate) fn fork() -> io::Result<Forked> {
    // SAFETY: the run forks before it starts its console, signal or runtime threads, so the
    // child gets a consistent copy of the only thread that runs molotov's code.
    match unsafe { nix::unistd::fork() } {
        Ok(nix::unistd::ForkResult::Parent { child }) => {
            Ok(Forked::Parent(u32::try_from(child.as_raw()).unwrap_or(0)))
        }
        Ok(nix::unistd::ForkResult::Child) => Ok(Forked::Child),
        Err(errno) => Err(io::Error::from(errno)),
    }
}
