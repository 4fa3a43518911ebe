//! Probes: io (issue #17) — absurd sizes, special files as inputs, closed and full stdout,
//! output paths that collide or cannot be written, and interrupts during a run. Each was a
//! panic, an allocation abort, a hang, an unbounded read or a partial output on main before.

#[allow(unused_imports)]
use super::probe::*;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

const LIMIT: &str = "exceeds the limit";

/// Every size flag at an absurd value: refused at parse time (exit 2, one line naming the
/// limit), quickly, before anything is allocated. Each used to abort, panic or run for hours.
#[test]
fn absurd_sizes_are_refused_with_the_limit() {
    let huge = "100000000000";
    let prune = [
        "prune",
        "--method",
        "random",
        "--data",
        "digits",
        "--density",
        "0.2",
    ];
    let cases: Vec<Vec<&str>> = vec![
        vec!["audit", "--filter", "TOOL-1", "--scale", "1e12"],
        [&prune[..], &["--width", huge]].concat(),
        [&prune[..], &["--width", "16", "--rounds", huge]].concat(),
        [&prune[..], &["--width", "16", "--batch", huge]].concat(),
        vec![
            "prune",
            "--method",
            "random",
            "--data",
            "synthetic:samples=1000000000000",
            "--width",
            "10",
            "--density",
            "0.2",
        ],
        vec![
            "prune",
            "--method",
            "random",
            "--data",
            "synthetic:samples=10,zero=18446744073709551615,noise=5",
            "--width",
            "10",
            "--density",
            "0.2",
        ],
        vec![
            "prune",
            "--method",
            "random",
            "--data",
            "synthetic:samples=16000000,zero=60000",
            "--width",
            "10",
            "--density",
            "0.2",
        ],
        vec![
            "figure1", "--widths", "100000", "--seeds", "1", "--blocks", "1",
        ],
        vec![
            "figure1", "--widths", "100", "--seeds", huge, "--blocks", "1",
        ],
        vec![
            "figure1", "--widths", "100", "--seeds", "1", "--blocks", huge,
        ],
        vec![
            "figure1", "--widths", "200", "--seeds", "1", "--blocks", "200",
        ],
        vec![
            "figure2",
            "--data",
            "synthetic",
            "--samples",
            huge,
            "--seeds",
            "1",
        ],
        vec!["figure2", "--data", "digits", "--seeds", huge],
        vec!["uat", "--widths", huge, "--samples", "100"],
        vec!["uat", "--widths", "60000"],
        vec!["uat", "--samples", huge],
        vec!["uat", "--d", "8000000000000"],
        vec![
            "ntk",
            "--graphon",
            "constant",
            "--data",
            "digits",
            "--samples",
            huge,
            "--density",
            "0.2",
        ],
        vec![
            "ntk",
            "--graphon",
            "fsm:exp:3;exp:3",
            "--data",
            "digits",
            "--samples",
            "50",
            "--nodes",
            huge,
            "--density",
            "0.2",
        ],
        vec![
            "ntk",
            "--method",
            "random",
            "--data",
            "digits",
            "--samples",
            "50",
            "--width",
            huge,
            "--density",
            "0.2",
        ],
        vec![
            "check",
            "--masks",
            "m.npy",
            "--against",
            "method:random",
            "--data",
            "digits",
            "--batch",
            "99999999999999999999999",
        ],
    ];
    // Within each flag's limit, but the batch × width activations exceed the memory budget:
    // refused before the network is run (used to abort allocating 32 GB).
    let synthetic = "synthetic:samples=4000000,informative=8,noise=8,zero=0";
    for command in [
        vec!["prune", "--method", "snip", "--width", "1024"],
        vec![
            "ntk",
            "--method",
            "snip",
            "--width",
            "1024",
            "--samples",
            "10",
        ],
    ] {
        let args = [&command[..], &["--data", synthetic, "--density", "0.2"]].concat();
        let start = Instant::now();
        assert_refused(&args, LIMIT);
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{args:?}: not refused early"
        );
    }
    // Within each flag's limit, but the figure1 panels would exceed a figure's cells: refused
    // before the masks are drawn (it used to fail after all of them).
    let panels = [
        "figure1",
        "--widths",
        "180,360,540",
        "--seeds",
        "1",
        "--blocks",
        "180",
    ];
    let start = Instant::now();
    assert_refused(&panels, "heat-map cells");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{panels:?}: not refused early"
    );
    for args in &cases {
        let start = Instant::now();
        assert_refused(args, LIMIT);
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{args:?}: the refusal took {:?}",
            start.elapsed()
        );
    }
}

/// A version-1 `.npy` header declaring a 2 × 2 uint8 array (the data follow or not).
fn npy_header() -> Vec<u8> {
    let dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }\n";
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((dict.len() as u16).to_le_bytes());
    b.extend(dict.as_bytes());
    b
}

/// Special files as every path input: a FIFO (used to hang), /dev/zero (read without bound), a
/// directory, and a sparse file beyond the size bound (read into memory whole): each a one-line
/// refusal naming what it is, without reading it.
#[cfg(unix)]
#[test]
fn special_files_are_refused_without_reading() {
    let dir = scratch("io-special");
    let fifo = dir.join("fifo.npy");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let sparse = dir.join("sparse.npy");
    let f = std::fs::File::create(&sparse).unwrap();
    f.set_len(pai_graphon::npy::MAX_FILE_BYTES + 1).unwrap();
    let folder = dir.join("folder.npy");
    std::fs::create_dir(&folder).unwrap();
    let good = dir.join("good.npy");
    let mut bytes = npy_header();
    bytes.extend([1, 0, 0, 1]);
    std::fs::write(&good, bytes).unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let cases = [
        (s(&fifo), "a FIFO"),
        ("/dev/zero".to_string(), "a device"),
        (s(&folder), "a directory"),
        (s(&sparse), "exceeds the limit"),
    ];
    for (path, needle) in &cases {
        let path = path.as_str();
        assert_refused(&["check", "--masks", path, "--against", "constant"], needle);
        let g = s(&good);
        assert_refused(
            &[
                "check",
                "--masks",
                &g,
                "--scores",
                path,
                "--against",
                "constant",
            ],
            needle,
        );
        let prune = [
            "prune",
            "--method",
            "random",
            "--data",
            "digits",
            "--width",
            "2",
            "--density",
            "0.5",
        ];
        assert_refused(&[&prune[..], &["--weights", path]].concat(), needle);
        assert_refused(&[&prune[..], &["--readout", path]].concat(), needle);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// stdout closed before the command writes (`… | head`): the command ends quietly, exit 0, no
/// panic. Used to panic with "failed printing to stdout".
#[test]
fn closed_stdout_ends_quietly() {
    let cases: [&[&str]; 3] = [
        &["list"],
        &["show", "TOOL-1"],
        &[
            "limit",
            "--row-profile",
            "exp:3",
            "--col-profile",
            "exp:3",
            "--density",
            "0.2",
            "--grid",
            "400",
            "--format",
            "json",
        ],
    ];
    for args in cases {
        let mut child = spawn(args, &[]);
        drop(child.stdout.take()); // the read end closes before anything is read
        let o = wait_guarded(child, args);
        assert_no_crash(args, &o);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(o.stderr.is_empty(), "{args:?}: not quiet: {}", stderr(&o));
    }
}

/// stdout on a full device: one line naming the failure, exit 2 (used to panic).
#[cfg(target_os = "linux")]
#[test]
fn full_stdout_is_a_one_line_error() {
    for args in [&["list"][..], &["show", "TOOL-1"], &["--help"]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let child = bin()
            .args(args)
            .stdin(Stdio::null())
            .stdout(full)
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let o = wait_guarded(child, args);
        assert_no_crash(args, &o);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains("cannot write to stdout"), "{args:?}: {err}");
    }
}

/// Every file below `dir`, relative, sorted, with its bytes.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), Vec::new()));
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), bytes));
            }
        }
    }
    out.sort();
    out
}

fn prune_writing(dir: &Path, seed: &str) -> Vec<String> {
    let d = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let args = [
        "prune",
        "--method",
        "snip",
        "--data",
        "mnist",
        "--width",
        "64",
        "--density",
        "0.2",
        "--seed",
        seed,
    ];
    let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    for (flag, name) in [
        ("--out", "out"),
        ("--save-mask", "mask.npy"),
        ("--save-scores", "scores.npy"),
        ("--save-weights", "weights.npy"),
        ("--save-readout", "readout.npy"),
    ] {
        v.push(flag.into());
        v.push(d(name));
    }
    v
}

/// Output paths that cannot all be written are refused before anything is computed or written:
/// two flags naming one file (the mask used to be silently replaced), an input also named as an
/// output, a folder where a file is wanted, a missing folder, `--out` naming a file. Each
/// leaves the folder exactly as it was.
#[test]
fn colliding_or_unwritable_outputs_leave_nothing_behind() {
    let dir = scratch("io-outputs");
    std::fs::write(dir.join("old.npy"), b"old").unwrap();
    std::fs::create_dir(dir.join("folder")).unwrap();
    let before = tree(&dir);
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let prune = [
        "prune",
        "--method",
        "random",
        "--data",
        "digits",
        "--width",
        "8",
        "--density",
        "0.5",
    ];
    let (out, m, old, folder) = (p("out"), p("m.npy"), p("old.npy"), p("folder"));
    let same = format!(
        "{}/../{}/m.npy",
        dir.display(),
        dir.file_name().unwrap().to_str().unwrap()
    );
    let inside_file = format!("{old}/x.npy");
    let missing = p("missing/m.npy");
    let stats = p("out/stats.json");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--save-mask", &m, "--save-scores", &same],
            "name the same file",
        ),
        (
            vec!["--out", &out, "--save-mask", &stats],
            "name the same file",
        ),
        (
            vec!["--save-weights", &old, "--weights", &old],
            "is also the output",
        ),
        (vec!["--save-mask", &folder], "is a folder"),
        (
            vec!["--out", &out, "--save-mask", &missing],
            "folder does not exist",
        ),
        (
            vec!["--out", &out, "--save-mask", &inside_file],
            "folder does not exist",
        ),
        (vec!["--out", &old], "is not a folder"),
        // The rename would have replaced the device itself (as root).
        (vec!["--save-mask", "/dev/null"], "not a regular file"),
    ];
    for (extra, needle) in &cases {
        let args = [&prune[..], &extra[..]].concat();
        assert_refused(&args, needle);
        assert_eq!(tree(&dir), before, "{args:?} changed the folder");
    }
    // A save path inside the --out folder about to be created is fine.
    let inside = p("out/m.npy");
    let ok = [&prune[..], &["--out", &out, "--save-mask", &inside]].concat();
    let o = run(&ok);
    assert_eq!(o.status.code(), Some(0), "{ok:?}: {}", stderr(&o));
    assert!(dir.join("out/m.npy").is_file() && dir.join("out/stats.json").is_file());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// SIGINT or SIGTERM at a deterministic spread of delays during a run that writes nine files:
/// afterwards the folder holds either the old state or the complete new set (byte for byte the
/// uninterrupted run's), and never a temporary file. Starting from an old complete set of
/// another seed, a mix of the two would show as neither.
#[cfg(unix)]
#[test]
fn interrupts_leave_the_old_state_or_the_complete_new_one() {
    let reference = scratch("io-interrupt-reference");
    let args = prune_writing(&reference, "0x1");
    let start = Instant::now();
    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let full = start.elapsed();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let new = tree(&reference);
    assert_eq!(
        new.iter().filter(|(_, b)| !b.is_empty()).count(),
        9,
        "{new:?}"
    );
    let dir = scratch("io-interrupt");
    let old_args = prune_writing(&dir, "0x2");
    let start = Instant::now();
    let old_run = run(&old_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(old_run.status.code(), Some(0), "{}", stderr(&old_run));
    // The faster of the two runs: a run slowed by a busy machine would put the delays late.
    let full = full.min(start.elapsed());
    let old = tree(&dir);
    assert_ne!(old, new);
    let args = prune_writing(&dir, "0x1");
    let (mut saw_old, mut saw_new) = (0, 0);
    // Fractions of an uninterrupted run's time: coarse over the computation, fine (1%) over
    // its end, where the files are written and renamed.
    let fractions = (0..8).map(|k| f64::from(k) / 10.0);
    let fractions = fractions.chain((0..30).map(|k| 0.75 + f64::from(k) / 100.0));
    for (k, fraction) in fractions.enumerate() {
        let delay = full.mul_f64(fraction);
        let child = bin()
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        std::thread::sleep(delay);
        // Alternately SIGINT (Ctrl-C) and SIGTERM (kill, a timeout).
        let signal = if k % 2 == 0 {
            libc::SIGINT
        } else {
            libc::SIGTERM
        };
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let o = wait_guarded(child, &["prune", "(interrupted)"]);
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "delay {delay:?}: {err}");
        let now = tree(&dir);
        let temps: Vec<&PathBuf> = now
            .iter()
            .map(|(p, _)| p)
            .filter(|p| p.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(
            temps.is_empty(),
            "delay {delay:?}: temporaries left: {temps:?}"
        );
        if now == old {
            saw_old += 1;
        } else if now == new {
            saw_new += 1;
            // Back to the old set for the next delay.
            let o = run(&old_args.iter().map(String::as_str).collect::<Vec<_>>());
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        } else {
            panic!(
                "delay {delay:?}: neither the old nor the new set (exit {:?})",
                o.status
            );
        }
    }
    assert!(
        saw_old > 0,
        "no delay interrupted the run: the probe tests nothing"
    );
    eprintln!("interrupts: {saw_old} left the old set, {saw_new} the complete new one");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&reference).unwrap();
}

/// An error at the very end, after the `--out` folder was created and its files' temporaries
/// written (here a `--save-mask` name too long for its temporary sibling), rolls everything
/// back: no folder, no file, no temporary. On main the figures and stats.json stayed behind.
#[test]
fn a_failure_while_writing_rolls_back_the_whole_set() {
    let dir = scratch("io-rollback");
    std::fs::write(dir.join("old.npy"), b"old").unwrap();
    let before = tree(&dir);
    let out = dir.join("out");
    // 250 bytes fit a file name (255 on common file systems); ".NAME.PID.tmp" does not.
    let long = dir.join(format!("{}.npy", "m".repeat(246)));
    let args = [
        "prune",
        "--method",
        "random",
        "--data",
        "digits",
        "--width",
        "8",
        "--density",
        "0.5",
        "--out",
        out.to_str().unwrap(),
        "--save-mask",
        long.to_str().unwrap(),
    ];
    let o = run(&args);
    assert_no_crash(&args, &o);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim_end().lines().count(), 1, "{}", stderr(&o));
    assert!(
        o.stdout.is_empty(),
        "printed a result although its files were not written"
    );
    assert_eq!(tree(&dir), before, "the failed write left something behind");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A failed verdict survives a closed stdout: `check … | head` exits 1, not 0 (a closed pipe
/// ends a command quietly, but must not turn a rejection into a pass).
#[test]
fn a_closed_pipe_does_not_turn_a_failed_check_into_a_pass() {
    let dir = scratch("io-verdict");
    let mask = dir.join("snip.npy");
    let m = mask.to_str().unwrap();
    let made = run(&[
        "prune",
        "--method",
        "snip",
        "--data",
        "digits",
        "--width",
        "256",
        "--density",
        "0.2",
        "--save-mask",
        m,
    ]);
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    let args = ["check", "--masks", m, "--against", "constant"];
    let open = run(&args);
    assert_eq!(
        open.status.code(),
        Some(1),
        "the control: SNIP is rejected against W ≡ ρ"
    );
    let mut child = spawn(&args, &[]);
    drop(child.stdout.take());
    let o = wait_guarded(child, &args);
    assert_no_crash(&args, &o);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}
