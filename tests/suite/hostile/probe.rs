//! Shared drivers for the probes: run the binary with a time guard and classify the outcome.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The longest any probe may take before it counts as a hang. Generous: a refusal takes
/// milliseconds, and the probes' accepted inputs are small.
pub const HANG_GUARD: Duration = Duration::from_secs(60);

/// The binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pai-graphon"))
}

/// `pai-graphon args…` started with no stdin, stdout and stderr piped, extra environment `env`.
pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Child {
    bin()
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Waits for `child`, killing it after [`HANG_GUARD`]; panics (the test fails) on a hang,
/// naming the arguments.
pub fn wait_guarded(mut child: Child, args: &[&str]) -> Output {
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > HANG_GUARD {
            let _ = child.kill();
            panic!("hang: pai-graphon {args:?} ran longer than {HANG_GUARD:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().expect("output")
}

/// Runs `pai-graphon args…` with no stdin under the hang guard.
pub fn run(args: &[&str]) -> Output {
    run_env(args, &[])
}

/// Like [`run`], with extra environment variables.
pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    wait_guarded(spawn(args, env), args)
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// No panic, no abort (a signal), and an exit code in {0, 1, 2, 3}.
pub fn assert_no_crash(args: &[&str], o: &Output) {
    let err = stderr(o);
    assert!(!err.contains("panicked"), "{args:?}: panic: {err}");
    assert!(
        !err.contains("memory allocation"),
        "{args:?}: allocation abort: {err}"
    );
    assert!(
        matches!(o.status.code(), Some(0..=3)),
        "{args:?}: ended by {:?}: {err}",
        o.status
    );
}

/// A refusal: exit 2, one line on stderr containing `needle`, nothing on stdout.
pub fn assert_refused(args: &[&str], needle: &str) {
    let o = run(args);
    assert_no_crash(args, &o);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: not refused: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {err}"
    );
    assert!(
        err.contains(needle),
        "{args:?}: {err:?} does not name {needle:?}"
    );
    assert!(o.stdout.is_empty(), "{args:?}: wrote to stdout on refusal");
}

/// A fresh scratch folder for one probe.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pai-graphon-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch folder");
    d
}
