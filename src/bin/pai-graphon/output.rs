//! How the binary writes (issue #17): one fallible writer for stdout, and all-or-nothing output
//! sets for files.
//!
//! - stdout: every line goes through [`emit`]; a closed pipe ends the command quietly (exit 0,
//!   as ripgrep does), any other write error is a one-line error (exit 2).
//! - files: a command first [`Plan`]s its outputs (validated before anything is computed: a
//!   folder where a file is wanted, a missing parent, two flags naming one path, an input also
//!   named as an output), then [`commit`]s them: every file is written to a temporary sibling,
//!   then all are renamed at the end. On error the temporaries (and any folder the commit
//!   created) are removed, leaving the old state.
//! - interrupts: SIGINT and SIGTERM are blocked in every thread and taken by one thread
//!   ([`install_signal_thread`]) that removes the registered temporaries and exits 130 (143 for
//!   SIGTERM). The rename phase holds the registry's lock, so an interrupt during it waits for
//!   the set to be complete.

use crate::CommandFailure as Failure;
use pai_graphon::claims::Status;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

/// Writes `text` to stdout: `Failure::PipeClosed` on a closed pipe (ends quietly), a one-line
/// error on any other failure (a full disk).
pub(crate) fn emit(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => Failure::PipeClosed,
            _ => Failure::Message(format!("cannot write to stdout: {e}")),
        })
}

/// What a command with a verdict returns once its report is printed: a failed or vacuous verdict
/// keeps its exit status even if stdout was closed (`check … | head` must not read as a pass), a
/// pass ends quietly on a closed pipe, and a write error is reported.
pub(crate) fn with_verdict(printed: Result<(), Failure>, status: Status) -> Result<(), Failure> {
    match printed {
        Ok(()) | Err(Failure::PipeClosed) if status != Status::Pass => Failure::from_status(status),
        printed => printed,
    }
}

/// The temporaries and created folders of the commit under way, removed on error or interrupt.
#[derive(Default)]
struct Pending {
    temps: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

static PENDING: Mutex<Pending> = Mutex::new(Pending {
    temps: Vec::new(),
    dirs: Vec::new(),
});

fn pending() -> std::sync::MutexGuard<'static, Pending> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every registered temporary, then the folders the commit created (deepest first,
/// only if empty), and forgets them.
fn roll_back(p: &mut Pending) {
    for t in p.temps.drain(..) {
        let _ = std::fs::remove_file(t);
    }
    for d in p.dirs.drain(..).rev() {
        let _ = std::fs::remove_dir(d);
    }
}

/// Blocks SIGINT and SIGTERM in this thread (so in every thread it spawns later: call first in
/// `main`) and takes them on a dedicated thread that rolls back an unfinished commit and exits
/// with 128 + the signal's number.
#[cfg(unix)]
pub(crate) fn install_signal_thread() {
    // SAFETY: sigset_t is plain data initialised by sigemptyset; the calls only read it.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return; // signals keep their default action: no handling, no harm
        }
        set
    };
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || loop {
            let mut signal = 0;
            // SAFETY: `set` is a valid initialised sigset_t and `signal` a valid out pointer.
            if unsafe { libc::sigwait(&set, &mut signal) } == 0 {
                let mut p = pending();
                roll_back(&mut p);
                // The lock is kept: the main thread cannot start renaming after this.
                std::process::exit(128 + signal);
            }
        });
    if spawned.is_err() {
        // No thread to take them: unblock, so an interrupt still ends the process.
        // SAFETY: as above.
        unsafe {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }
}

#[cfg(not(unix))]
pub(crate) fn install_signal_thread() {}

/// The temporary sibling of `path`: `.NAME.PID.tmp` in the same folder (same file system, so
/// the rename is atomic).
fn temporary(path: &Path) -> Result<PathBuf, Failure> {
    let name = path
        .file_name()
        .ok_or_else(|| format!("{} is not a file path", path.display()))?;
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".{}.tmp", std::process::id()));
    Ok(path.with_file_name(tmp))
}

/// The outputs a command will write, validated before it computes anything.
#[derive(Default)]
pub(crate) struct Plan {
    /// (flag, path as given, key: the path with its existing part canonicalised).
    outputs: Vec<(&'static str, PathBuf, PathBuf)>,
    /// The keys of the planned folders (created at commit, so a file may be planned in one).
    dirs: Vec<PathBuf>,
}

/// `path` with its longest existing ancestor canonicalised and the rest appended, so two
/// spellings of one file (`a/../b`, a symlinked folder) compare equal; also the existing
/// ancestor, which must be a folder for anything to be created below it.
fn key(path: &Path) -> Result<(PathBuf, PathBuf), Failure> {
    let absolute =
        std::path::absolute(path).map_err(|e| format!("cannot resolve {}: {e}", path.display()))?;
    let mut base = absolute.as_path();
    let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
    loop {
        if let Ok(c) = base.canonicalize() {
            let mut k = c.clone();
            for part in rest.iter().rev() {
                k.push(part);
            }
            return Ok((k, c));
        }
        match (base.parent(), base.components().next_back()) {
            (Some(parent), Some(Component::Normal(last))) => {
                rest.push(last);
                base = parent;
            }
            _ => return Err(format!("cannot resolve {}", path.display()).into()),
        }
    }
}

impl Plan {
    /// Plans the folder `dir` (created at commit if missing) and the files `names` in it.
    pub(crate) fn dir(
        &mut self,
        flag: &'static str,
        dir: &Path,
        names: &[&str],
    ) -> Result<(), Failure> {
        let (k, existing) = key(dir)?;
        if !existing.is_dir() {
            return Err(format!(
                "cannot write {flag} {}: {} is not a folder",
                dir.display(),
                existing.display()
            )
            .into());
        }
        for name in names {
            self.add(flag, &dir.join(name), &k.join(name))?;
        }
        self.dirs.push(k);
        Ok(())
    }

    /// Plans the file `path`; its folder must exist or be a planned one.
    pub(crate) fn file(&mut self, flag: &'static str, path: &Path) -> Result<(), Failure> {
        let (k, existing) = key(path)?;
        let folder = k.parent().map(Path::to_path_buf).unwrap_or_default();
        let planned = self.dirs.contains(&folder);
        if !planned && (!(existing == k || existing == folder) || !folder.is_dir()) {
            let path = path.display();
            return Err(format!("cannot write {flag} {path}: its folder does not exist").into());
        }
        self.add(flag, path, &k)
    }

    fn add(&mut self, flag: &'static str, path: &Path, k: &Path) -> Result<(), Failure> {
        if k.is_dir() {
            let path = path.display();
            return Err(
                format!("cannot write {flag} {path}: it is a folder, a file is wanted").into(),
            );
        }
        // A device or FIFO would be replaced by the rename (as root, /dev/null itself).
        if std::fs::metadata(k).is_ok_and(|m| !m.is_file()) {
            let path = path.display();
            return Err(format!("cannot write {flag} {path}: it is not a regular file").into());
        }
        if path.file_name().is_none() {
            let path = path.display();
            return Err(format!("cannot write {flag} {path}: it is not a file path").into());
        }
        if let Some((other, p, _)) = self.outputs.iter().find(|(_, _, o)| o == k) {
            return Err(format!(
                "{flag} {} and {other} {} name the same file",
                path.display(),
                p.display()
            )
            .into());
        }
        self.outputs
            .push((flag, path.to_path_buf(), k.to_path_buf()));
        Ok(())
    }

    /// Refuses an input that is also one of the planned outputs.
    pub(crate) fn input(&self, flag: &'static str, path: &Path) -> Result<(), Failure> {
        let (k, _) = key(path)?;
        match self.outputs.iter().find(|(_, _, o)| *o == k) {
            Some((out, p, _)) => Err(format!(
                "{flag} {} is also the output {out} {}",
                path.display(),
                p.display()
            )
            .into()),
            None => Ok(()),
        }
    }
}

/// Writes every `(path, bytes)` all-or-nothing: folders created, temporaries written and synced,
/// then (under the lock the signal thread takes) all renamed. On error nothing new is left.
pub(crate) fn commit(files: &[(PathBuf, Vec<u8>)]) -> Result<(), Failure> {
    let result = write_temporaries(files).and_then(|temps| {
        for (path, _) in files {
            if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
                return Err(format!("cannot write {}: not a regular file", path.display()).into());
            }
        }
        let mut p = pending();
        for (tmp, (path, _)) in temps.iter().zip(files) {
            if let Err(e) = std::fs::rename(tmp, path) {
                roll_back(&mut p);
                return Err(format!("cannot write {}: {e}", path.display()).into());
            }
        }
        p.temps.clear();
        p.dirs.clear();
        Ok(())
    });
    if result.is_err() {
        roll_back(&mut pending());
    }
    result
}

/// Creates the missing folders and writes each file's temporary. Each is registered and
/// created under the registry's lock, so the signal thread either finds it or runs before it
/// exists (and then the main thread blocks on the lock until the process ends).
fn write_temporaries(files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<PathBuf>, Failure> {
    let mut temps = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_dirs(dir)?;
        }
        let tmp = temporary(path)?;
        let created = {
            let mut p = pending();
            p.temps.push(tmp.clone());
            std::fs::File::create(&tmp)
        };
        let written = created.and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()));
        written.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        temps.push(tmp);
    }
    Ok(temps)
}

/// `create_dir_all`, registering each folder it creates.
fn create_dirs(dir: &Path) -> Result<(), Failure> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dirs(parent)?;
    }
    let mut p = pending();
    p.dirs.push(dir.to_path_buf());
    match std::fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {
            p.dirs.pop();
            Ok(())
        }
        Err(e) => Err(format!("cannot create output folder {}: {e}", dir.display()).into()),
    }
}
