//! The example binaries the tests run: built once per test run, with this test binary's
//! profile and target directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Once;

/// The directory cargo put this test binary's examples in: `<target>/<profile>/examples`.
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // <target>/<profile>/deps/it-HASH
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary is in <target>/<profile>/deps");
    profile_dir.join("examples")
}

/// Builds the examples once per test process (cargo makes it a no-op when they are fresh),
/// with the profile and target directory of this test binary. Under nextest, where every
/// test is a process, once per test run: a marker file named after the run says it is done.
fn build_examples() {
    static BUILT: Once = Once::new();
    BUILT.call_once(|| {
        let dir = examples_dir();
        let marker = std::env::var("NEXTEST_RUN_ID")
            .ok()
            .map(|id| dir.join(format!(".it-built-{id}")));
        if marker.as_ref().is_some_and(|m| m.exists()) {
            return;
        }
        let profile_dir = dir.parent().expect("profile directory");
        let target_dir = profile_dir.parent().expect("target directory");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev".to_owned(),
            Some(other) => other.to_owned(),
        };
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_owned());
        let mut command = Command::new(cargo);
        // The variables cargo sets for this test binary would change the fingerprints of
        // the workspace's crates (and rebuild them, here and again in the next `cargo test`).
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            let per_crate = [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
            ]
            .iter()
            .any(|prefix| key.starts_with(prefix));
            if per_crate || key == "CARGO_PRIMARY_PACKAGE" || key == "CARGO_TARGET_TMPDIR" {
                command.env_remove(&*key);
            }
        }
        let output = command
            .args([
                "build",
                "--quiet",
                "-p",
                "molotov",
                "--examples",
                "--profile",
            ])
            .arg(&profile)
            .arg("--target-dir")
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "cargo build --examples failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        if let Some(marker) = marker {
            // Markers of earlier runs go; this run's says the examples are fresh.
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                if entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".it-built-")
                {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
            let _ = std::fs::write(marker, b"");
        }
    });
}

/// The path of example `name`, built.
pub(crate) fn example(name: &str) -> PathBuf {
    build_examples();
    let path = examples_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} was not built", path.display());
    path
}
