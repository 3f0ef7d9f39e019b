//! Shared helpers: the example binaries run as real processes (always with a deadline, and
//! killed if a test gives up on them), a target server, polling with a deadline.

use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use molotov_target::{Target, TargetConfig};

mod binaries;

pub(crate) use binaries::example;

/// How long any run may take before the test kills it and fails: generous, for a loaded
/// machine; runs that finish normally take a fraction of it.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(30);

/// A target server on `127.0.0.1:0`.
pub(crate) fn target() -> Target {
    Target::start(TargetConfig::default()).expect("the target server starts")
}

/// A base URL on a port nobody listens on: bound, read, released.
pub(crate) fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A command line for an example, with none of the testbed's variables inherited.
pub(crate) struct Molotov {
    command: Command,
}

/// The `testbed` example (scenarios and fixtures chosen by `TESTBED_*` variables).
pub(crate) fn testbed() -> Molotov {
    molotov("testbed")
}

/// Runs `testbed` (aimed, with its arguments) with a `global_setup` that takes 2 s, sends
/// SIGINT during it, and checks that the run then stopped with no load: `global_teardown`
/// run, interrupted, exit 130.
pub(crate) fn interrupted_during_global_setup(testbed: Molotov, server: &Target) -> Finished {
    let mut running = testbed
        .env("TESTBED_PRINT", "1")
        .env("TESTBED_GLOBAL_SETUP_MS", "2000")
        .spawn();
    running.wait_for_stdout("fixture: global_setup");
    running.signal("INT");
    let run = running.wait(Duration::from_secs(10));
    run.code(130).stdout_in_order(&[
        "fixture: global_setup",
        "fixture: global_teardown",
        "Stopped: interrupted",
        "SUCCESSES: 0 | FAILURES: 0",
    ]);
    assert_eq!(server.requests(), 0, "{run}");
    run
}

/// Example `name`.
pub(crate) fn molotov(name: &str) -> Molotov {
    let mut command = Command::new(example(name));
    for var in [
        "MOLOTOV_TARGET",
        "TESTBED_SCENARIOS",
        "TESTBED_FAIL",
        "TESTBED_PRINT",
        "TESTBED_DELAY_MS",
        "TESTBED_GLOBAL_SETUP_MS",
        "TESTBED_LIMIT",
        "TESTBED_PANIC",
        "RUST_BACKTRACE",
    ] {
        command.env_remove(var);
    }
    command.stdin(Stdio::null());
    Molotov { command }
}

impl Molotov {
    /// A binary other than an example (the crate's `molotov`), with nothing inherited that
    /// the tests set.
    pub(crate) fn binary(path: &str) -> Molotov {
        let mut command = Command::new(path);
        command.env_remove("MOLOTOV_TARGET").stdin(Stdio::null());
        Molotov { command }
    }

    /// One more argument.
    pub(crate) fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    /// Runs in `dir`.
    pub(crate) fn current_dir(mut self, dir: &Path) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Aims the load test at `url` (a base URL without a trailing `/`).
    pub(crate) fn url(mut self, url: &str) -> Self {
        self.command.env("MOLOTOV_TARGET", url);
        self
    }

    /// Aims the load test at `target`.
    pub(crate) fn at(self, target: &Target) -> Self {
        self.url(&target.url(""))
    }

    /// The testbed's scenarios (`TESTBED_SCENARIOS`).
    pub(crate) fn scenarios(self, names: &str) -> Self {
        self.env("TESTBED_SCENARIOS", names)
    }

    /// An environment variable.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    /// Command-line arguments.
    pub(crate) fn args<S: AsRef<std::ffi::OsStr>>(
        mut self,
        args: impl IntoIterator<Item = S>,
    ) -> Self {
        self.command.args(args);
        self
    }

    /// Runs to the end (at most [`TIMEOUT`]).
    pub(crate) fn run(self) -> Finished {
        self.spawn().wait(TIMEOUT)
    }

    /// Runs to the end with `--json` into a temporary file; returns the run and its results.
    pub(crate) fn run_with_results(self) -> (Finished, serde_json::Value) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("results.json");
        let run = self
            .args([std::ffi::OsStr::new("--json"), path.as_os_str()])
            .run();
        assert!(path.exists(), "no results file: {run}");
        let results = read_json(&path);
        (run, results)
    }

    /// Starts the process; its output is collected in the background.
    pub(crate) fn spawn(mut self) -> Running {
        self.command.stdout(Stdio::piped()).stderr(Stdio::piped());
        Running::start(self.command, true)
    }

    /// Starts the process with a stdout pipe that nobody reads until [`Running::wait`].
    pub(crate) fn spawn_unread_stdout(mut self) -> Running {
        self.command.stdout(Stdio::piped()).stderr(Stdio::piped());
        Running::start(self.command, false)
    }

    /// The command, for tests that wrap it (in `sh -c`...).
    pub(crate) fn into_command(self) -> Command {
        self.command
    }
}

/// Output read so far by a background thread.
#[derive(Clone, Default)]
struct Collected(Arc<Mutex<Vec<u8>>>);

impl Collected {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

enum Stdout {
    Collected(Collected, JoinHandle<()>),
    Unread(ChildStdout),
}

/// A running process; killed when dropped before it ended (a failed assertion, a timeout).
pub(crate) struct Running {
    child: Option<Child>,
    started: Instant,
    stdout: Option<Stdout>,
    stderr: Option<(Collected, JoinHandle<()>)>,
}

/// Reads `from` to its end in a background thread.
fn collect(mut from: impl std::io::Read + Send + 'static) -> (Collected, JoinHandle<()>) {
    let collected = Collected::default();
    let sink = collected.clone();
    let thread = std::thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        loop {
            match from.read(&mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(n) => sink.0.lock().unwrap().extend_from_slice(&buffer[..n]),
            }
        }
    });
    (collected, thread)
}

/// Joins a collecting thread and returns everything read.
fn collected((text, thread): (Collected, JoinHandle<()>)) -> String {
    let _ = thread.join();
    text.text()
}

impl Running {
    /// Spawns `command` (stdout and stderr piped); `read_stdout: false` leaves stdout unread.
    pub(crate) fn start(mut command: Command, read_stdout: bool) -> Running {
        let started = Instant::now();
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stdout = child.stdout.take().map(|out| {
            if read_stdout {
                let (text, thread) = collect(out);
                Stdout::Collected(text, thread)
            } else {
                Stdout::Unread(out)
            }
        });
        let stderr = child.stderr.take().map(collect);
        Running {
            child: Some(child),
            started,
            stdout,
            stderr,
        }
    }

    /// Watches an already spawned process whose outputs the test handles itself.
    pub(crate) fn adopt(child: Child) -> Running {
        Running {
            child: Some(child),
            started: Instant::now(),
            stdout: None,
            stderr: None,
        }
    }

    fn child(&mut self) -> &mut Child {
        self.child
            .as_mut()
            .expect("the process was not waited for yet")
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends `signal` (`"INT"`, `"TERM"`) with `kill`.
    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// What the process wrote on stdout so far (empty while it is left unread).
    pub(crate) fn stdout_so_far(&self) -> String {
        match &self.stdout {
            Some(Stdout::Collected(text, _)) => text.text(),
            _ => String::new(),
        }
    }

    /// Waits until the process has written `text` on stdout; it must not end before.
    pub(crate) fn wait_for_stdout(&mut self, text: &str) {
        wait_until(Duration::from_secs(20), text, || {
            assert!(!self.has_exited(), "the run ended before printing {text:?}");
            self.stdout_so_far().contains(text)
        });
    }

    /// The second of two interrupts: sent once the first was handled (two signals sent back
    /// to back may arrive as one).
    pub(crate) fn interrupt_again(&mut self) {
        self.wait_for_stdout("Stopping:");
        self.signal("INT");
    }

    /// Whether the process has ended.
    pub(crate) fn has_exited(&mut self) -> bool {
        self.child().try_wait().expect("try_wait").is_some()
    }

    /// Waits for the end, at most `timeout`; kills the process and fails the test after it.
    pub(crate) fn wait(mut self, timeout: Duration) -> Finished {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child().try_wait().expect("try_wait") {
                break Some(status);
            }
            if Instant::now() >= deadline {
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let elapsed = self.started.elapsed();
        if status.is_none() {
            let _ = self.child().kill();
            let _ = self.child().wait();
        }
        self.child = None;
        let stdout = match self.stdout.take() {
            Some(Stdout::Collected(text, thread)) => collected((text, thread)),
            Some(Stdout::Unread(out)) => collected(collect(out)),
            None => String::new(),
        };
        let stderr = self.stderr.take().map(collected).unwrap_or_default();
        let finished = Finished {
            code: status.and_then(|s| s.code()),
            stdout,
            stderr,
            elapsed,
        };
        assert!(
            status.is_some(),
            "the process did not end within {timeout:?}; killed it\n{finished}"
        );
        finished
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// An ended process.
pub(crate) struct Finished {
    /// The exit code (`None` if killed by a signal).
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// From the spawn to the observed end.
    pub(crate) elapsed: Duration,
}

impl std::fmt::Display for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code: {:?} after {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.elapsed, self.stdout, self.stderr
        )
    }
}

impl Finished {
    /// Fails unless the exit code is `code`.
    #[track_caller]
    pub(crate) fn code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "unexpected exit code\n{self}");
        self
    }

    /// Fails unless stdout contains every one of `texts`.
    #[track_caller]
    pub(crate) fn stdout_has(&self, texts: &[&str]) -> &Self {
        for text in texts {
            assert!(self.stdout.contains(text), "stdout lacks {text:?}\n{self}");
        }
        self
    }

    /// Fails unless stdout contains `texts` in this order.
    #[track_caller]
    pub(crate) fn stdout_in_order(&self, texts: &[&str]) -> &Self {
        let mut rest = self.stdout.as_str();
        for text in texts {
            match rest.find(text) {
                Some(at) => rest = &rest[at + text.len()..],
                None => {
                    panic!("stdout lacks {text:?} (after the previous ones: {texts:?})\n{self}")
                }
            }
        }
        self
    }

    /// Fails unless stderr is exactly one line starting with `error:`; returns it.
    #[track_caller]
    pub(crate) fn one_error_line(&self) -> &str {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert!(
            lines.len() == 1 && lines[0].starts_with("error:") && self.stderr.ends_with('\n'),
            "stderr should be one `error:` line\n{self}"
        );
        lines[0]
    }

    /// Fails if anything was printed on stderr that looks like a panic.
    #[track_caller]
    pub(crate) fn no_panic(&self) -> &Self {
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("panic"),
            "a panic was reported\n{self}"
        );
        self
    }
}

/// Polls `condition` every few milliseconds until it holds; fails the test after `timeout`.
#[track_caller]
pub(crate) fn wait_until(timeout: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A temporary file holding `content`.
pub(crate) fn temp_file(content: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(file.path(), content).expect("write the temporary file");
    file
}

/// Reads and parses a JSON results file.
#[track_caller]
pub(crate) fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}\n{text}", path.display()))
}
