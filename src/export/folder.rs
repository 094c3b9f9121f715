//! The output folder, written whole or not at all: files go into a hidden temporary
//! folder beside the destination, which replaces the destination in one atomic rename
//! only when every file is complete. A failed or interrupted run leaves the previous
//! results as they were.
//!
//! Only a budgetsim run folder (or an empty folder, or nothing) is ever replaced: a
//! user's own folder, a file, a symbolic link, a pipe or a device at the destination is
//! refused before any work, and checked again just before the swap.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary folders of one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// What is found at a destination path, and whether budgetsim may replace it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    /// Nothing: the folder will be created.
    Nothing,
    /// An empty folder (safe to replace: it holds nothing to lose).
    EmptyFolder,
    /// A folder holding a `manifest.json` written by budgetsim, and only files it lists.
    RunFolder,
    /// A run folder that also holds files its manifest does not list (a user's notes).
    RunFolderWithExtras(Vec<String>),
    /// Anything else, described for the message (`a file`, `a symbolic link`, ...).
    Other(String),
}

/// What a new folder may replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// A free path, an empty folder, or a run folder holding only files it lists.
    Fresh,
    /// The run folder being redrawn by `budgetsim report`, whose every file is carried
    /// over into the new one (so files it does not list are not lost).
    Redraw,
}

impl Existing {
    /// Whether a new folder may take this path's place.
    pub fn replaceable(&self, mode: Replace) -> bool {
        match self {
            Existing::Nothing | Existing::EmptyFolder | Existing::RunFolder => true,
            Existing::RunFolderWithExtras(_) => mode == Replace::Redraw,
            Existing::Other(_) => false,
        }
    }

    /// What is there, for a refusal.
    fn describe(&self) -> String {
        match self {
            Existing::Nothing => "free".into(),
            Existing::EmptyFolder => "an empty folder".into(),
            Existing::RunFolder => "a run folder".into(),
            Existing::RunFolderWithExtras(extra) => {
                let shown: Vec<&str> = extra.iter().take(5).map(String::as_str).collect();
                format!(
                    "a run folder holding files budgetsim did not write ({}{}), which \
                     replacing it would delete: move them out first",
                    shown.join(", "),
                    if extra.len() > shown.len() {
                        ", ..."
                    } else {
                        ""
                    }
                )
            }
            Existing::Other(what) => what.clone(),
        }
    }
}

/// The manifest of `dir` when budgetsim wrote it: a regular file (never a link) of at
/// most 64 MiB, in JSON, naming the version that wrote it. A manifest lists every file
/// with its hash, a few kilobytes, so anything bigger is not one.
pub fn budgetsim_manifest(dir: &Path) -> Option<serde_json::Value> {
    use std::io::Read;
    let path = dir.join("manifest.json");
    let meta = fs::symlink_metadata(&path).ok()?;
    if !meta.file_type().is_file() || meta.len() > 64 << 20 {
        return None;
    }
    let mut text = String::new();
    File::open(&path)
        .and_then(|f| f.take(64 << 20).read_to_string(&mut text))
        .ok()?;
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .filter(|v| v.get("budgetsim_version").is_some_and(|x| x.is_string()))
}

/// Each file a manifest lists, with its recorded hash (empty when it has none).
pub fn listed_files(manifest: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    manifest["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let name = f["name"].as_str()?;
            Some((
                name.to_string(),
                f["sha256"].as_str().unwrap_or("").to_string(),
            ))
        })
        .collect()
}

/// `dest` written plainly: `.` components and trailing slashes dropped (so `run/` and
/// `run/.` name `run`, and a link written `link/` is seen as the link), and a path that
/// names no folder of its own (`.`, `..`) resolved to the folder it means. The root
/// is refused: it cannot be replaced.
pub fn normalize(dest: &Path) -> Result<PathBuf, StagingError> {
    let plain: PathBuf = dest.components().collect();
    let refused = || StagingError::Refused {
        path: dest.display().to_string(),
        what: "not a folder name budgetsim can write (give the folder by name)".into(),
    };
    if plain.as_os_str().is_empty() {
        return Err(refused());
    }
    if plain.file_name().is_some() && !plain.ends_with("..") {
        return Ok(plain);
    }
    let resolved = plain.canonicalize().map_err(|_| refused())?;
    if resolved.file_name().is_none() {
        return Err(refused());
    }
    Ok(resolved)
}

/// Looks at `dest` without following a symbolic link.
pub fn inspect(dest: &Path) -> io::Result<Existing> {
    let meta = match fs::symlink_metadata(dest) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Existing::Nothing),
        Err(e) => return Err(e),
    };
    let t = meta.file_type();
    if t.is_symlink() {
        return Ok(Existing::Other("a symbolic link".into()));
    }
    if !t.is_dir() {
        return Ok(Existing::Other(if t.is_file() {
            "a file".into()
        } else {
            "a special file (a pipe, socket or device)".into()
        }));
    }
    if let Some(manifest) = budgetsim_manifest(dest) {
        // Files it does not list are a user's own notes, which replacing would delete.
        let listed = listed_files(&manifest);
        let unlisted: Vec<String> = super::run_folder::listing(dest)?
            .into_iter()
            .filter(|n| !listed.contains_key(n))
            .collect();
        return Ok(if unlisted.is_empty() {
            Existing::RunFolder
        } else {
            Existing::RunFolderWithExtras(unlisted)
        });
    }
    if fs::read_dir(dest)?.next().is_none() {
        return Ok(Existing::EmptyFolder);
    }
    Ok(Existing::Other(
        "a folder that budgetsim did not write (it has no manifest.json from budgetsim)".into(),
    ))
}

/// Why a destination cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum StagingError {
    /// Something at the destination that budgetsim must not replace.
    #[error(
        "`{path}` is {what}; budgetsim only replaces its own run folders. Choose another \
         path with --out, or move or delete it yourself"
    )]
    Refused {
        /// The destination.
        path: String,
        /// What is there.
        what: String,
    },
    /// The file system refused (permissions, disk, a file where a folder is needed).
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Refuses `dest` unless a new folder may take its place.
pub fn check_replaceable(dest: &Path, mode: Replace) -> Result<(), StagingError> {
    let found = inspect(dest)?;
    if found.replaceable(mode) {
        Ok(())
    } else {
        Err(StagingError::Refused {
            path: dest.display().to_string(),
            what: found.describe(),
        })
    }
}

/// Test hook: with `BUDGETSIM_PAUSE_IN_WRITE` set, says so on stderr and waits, so a
/// test can kill the process while a folder is half written.
pub fn pause_point(what: &str) {
    if std::env::var_os("BUDGETSIM_PAUSE_IN_WRITE").is_some() {
        use std::io::Write;
        let _ = writeln!(io::stderr(), "budgetsim: paused while writing {what}");
        std::thread::sleep(std::time::Duration::from_secs(600));
    }
}

/// A run folder being written.
#[derive(Debug)]
pub struct Staging {
    dest: PathBuf,
    tmp: PathBuf,
    mode: Replace,
    committed: bool,
}

/// The file name of `dest` as used in the hidden names beside it: whole when short,
/// otherwise its first 96 bytes and a hash of the rest, so `.NAME.tmp-PID-N` stays
/// within the 255-byte limit of file names.
fn short_name(dest: &Path) -> io::Result<String> {
    let name = dest
        .file_name()
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{}` does not name a folder", dest.display()),
            )
        })?
        .to_string_lossy()
        .into_owned();
    if name.len() <= 128 {
        return Ok(name);
    }
    let mut cut = 96;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let hash = super::manifest::sha256_hex(name.as_bytes());
    Ok(format!("{}~{}", &name[..cut], &hash[..12]))
}

fn parent_of(dest: &Path) -> &Path {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn hidden(dest: &Path, suffix: &str) -> io::Result<PathBuf> {
    Ok(parent_of(dest).join(format!(".{}.{suffix}", short_name(dest)?)))
}

/// Name of the marker file inside every temporary folder: only folders holding it are
/// ever removed as stale, so a user's folder that happens to match the naming pattern
/// is never touched.
pub const MARKER: &str = ".budgetsim-staging";

/// Whether process `pid` is alive (Linux /proc; elsewhere assume it is).
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// Removes temporary folders for `dest` left by processes that no longer run (a run
/// killed with SIGKILL cannot clean up after itself): only real folders (not links)
/// named for `dest` that hold budgetsim's marker file.
fn remove_stale(dest: &Path) {
    let Ok(name) = short_name(dest) else {
        return;
    };
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = fs::read_dir(parent_of(dest)) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&prefix) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let ours = e.file_type().is_ok_and(|t| t.is_dir())
            && fs::symlink_metadata(e.path().join(MARKER)).is_ok_and(|m| m.is_file());
        if ours && pid.is_some_and(|p| p != std::process::id() && !alive(p)) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Holds an exclusive lock on the folder that holds `dest` while a run swaps its
/// folder in, so runs finishing at the same moment take turns. Locking the folder
/// itself leaves no lock file behind and opens nothing a user could have put there.
fn lock_parent(dest: &Path) -> io::Result<File> {
    let dir = File::open(parent_of(dest))?;
    dir.lock()?;
    Ok(dir)
}

impl Staging {
    /// Starts a run folder that will become `dest`. Creates `dest`'s parent if needed.
    /// Refuses a destination budgetsim may not replace ([`inspect`]).
    pub fn new(dest: &Path) -> Result<Staging, StagingError> {
        Staging::replacing(dest, Replace::Fresh)
    }

    /// As [`Staging::new`], accepting at `dest` what `mode` allows.
    pub fn replacing(dest: &Path, mode: Replace) -> Result<Staging, StagingError> {
        let dest = &normalize(dest)?;
        check_replaceable(dest, mode)?;
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)?;
        }
        remove_stale(dest);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = hidden(dest, &format!("tmp-{}-{n}", std::process::id()))?;
        fs::create_dir(&tmp)?;
        fs::write(tmp.join(MARKER), "")?;
        Ok(Staging {
            dest: dest.to_path_buf(),
            tmp,
            mode,
            committed: false,
        })
    }

    /// Where to write file `name` now.
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.join(name)
    }

    /// The folder being written (the temporary one until commit).
    pub fn root(&self) -> &Path {
        &self.tmp
    }

    /// The final destination.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Makes the folder visible at its destination, replacing any previous run folder.
    /// Runs that finish at the same moment take turns (a lock on the enclosing folder);
    /// each replacement is one rename, so readers see the old folder or the new one,
    /// whole. If something budgetsim may not replace appeared at the destination while
    /// it worked, the new folder is kept under another name, given in the error.
    pub fn commit(mut self) -> Result<PathBuf, StagingError> {
        fs::remove_file(self.tmp.join(MARKER))?;
        sync_tree(&self.tmp)?;
        let lock = lock_parent(&self.dest)?;
        if let Err(e) = check_replaceable(&self.dest, self.mode) {
            let kept = self.keep_aside()?;
            return Err(StagingError::Refused {
                path: self.dest.display().to_string(),
                what: match e {
                    StagingError::Refused { what, .. } => format!(
                        "now {what}, so the new results were kept in `{}`",
                        kept.display()
                    ),
                    StagingError::Io(e) => e.to_string(),
                },
            });
        }
        if fs::symlink_metadata(&self.dest).is_ok() {
            exchange(&self.tmp, &self.dest)?;
            // `tmp` now holds the previous results.
            let _ = fs::remove_dir_all(&self.tmp);
        } else {
            fs::rename(&self.tmp, &self.dest)?;
        }
        self.committed = true;
        drop(lock);
        Ok(self.dest.clone())
    }
}

impl Staging {
    /// Renames the finished temporary folder to a visible sibling of the destination
    /// (`<name>.new-<pid>-<n>`) so no result is lost when the destination is refused.
    fn keep_aside(&mut self) -> io::Result<PathBuf> {
        let name = short_name(&self.dest)?;
        let parent = parent_of(&self.dest);
        for n in 0..1000 {
            let aside = parent.join(format!("{name}.new-{}-{n}", std::process::id()));
            if fs::symlink_metadata(&aside).is_err() {
                fs::rename(&self.tmp, &aside)?;
                self.committed = true;
                return Ok(aside);
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free name to keep the results under",
        ))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Flushes every file below `dir` (and the folders themselves) to disk.
fn sync_tree(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            sync_tree(&path)?;
        } else {
            File::open(&path)?.sync_all()?;
        }
    }
    File::open(dir)?.sync_all()
}

/// Atomically swaps two paths (Linux renameat2 with RENAME_EXCHANGE).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Elsewhere: move the old folder aside, then move the new one in (two renames).
#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    let aside = hidden(b, &format!("old-{}", std::process::id()))?;
    fs::rename(b, &aside)?;
    fs::rename(a, b)?;
    fs::rename(&aside, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manifest listing `file`, as budgetsim writes one.
    pub(super) fn manifest(file: &str) -> String {
        format!("{{\"budgetsim_version\": \"0\", \"files\": [{{\"name\": \"{file}\"}}]}}")
    }

    #[test]
    fn commit_replaces_and_drop_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("run");
        let s = Staging::new(&dest).unwrap();
        fs::write(s.path("a.txt"), "one").unwrap();
        fs::write(s.path("manifest.json"), manifest("a.txt")).unwrap();
        s.commit().unwrap();
        assert_eq!(fs::read_to_string(dest.join("a.txt")).unwrap(), "one");

        let s = Staging::new(&dest).unwrap();
        fs::write(s.path("a.txt"), "two").unwrap();
        drop(s); // a failed run
        assert_eq!(fs::read_to_string(dest.join("a.txt")).unwrap(), "one");

        let s = Staging::new(&dest).unwrap();
        fs::write(s.path("b.txt"), "three").unwrap();
        fs::write(s.path("manifest.json"), manifest("b.txt")).unwrap();
        s.commit().unwrap();
        assert!(
            !dest.join("a.txt").exists(),
            "the new folder replaces the old one whole"
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

#[cfg(test)]
mod refusal_tests {
    use super::tests::manifest;
    use super::*;

    #[test]
    fn only_run_folders_and_empty_folders_are_replaceable() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        assert_eq!(inspect(&p("none")).unwrap(), Existing::Nothing);
        fs::create_dir(p("empty")).unwrap();
        assert_eq!(inspect(&p("empty")).unwrap(), Existing::EmptyFolder);
        fs::create_dir(p("run")).unwrap();
        fs::write(p("run/manifest.json"), "{\"budgetsim_version\": \"0.1.0\"}").unwrap();
        assert_eq!(inspect(&p("run")).unwrap(), Existing::RunFolder);
        fs::create_dir(p("other")).unwrap();
        fs::write(p("other/manifest.json"), "{\"version\": 1}").unwrap();
        assert!(!inspect(&p("other")).unwrap().replaceable(Replace::Fresh));
        fs::write(p("file"), "x").unwrap();
        assert!(!inspect(&p("file")).unwrap().replaceable(Replace::Redraw));
        // A run folder with a user's notes: only a redraw, which carries them over.
        fs::write(p("run/notes.txt"), "mine").unwrap();
        let found = inspect(&p("run")).unwrap();
        assert!(!found.replaceable(Replace::Fresh) && found.replaceable(Replace::Redraw));
        fs::remove_file(p("run/notes.txt")).unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(p("run"), p("link")).unwrap();
            assert!(!inspect(&p("link")).unwrap().replaceable(Replace::Redraw));
            // A run folder whose manifest is a link elsewhere is not trusted either.
            fs::create_dir(p("linked-manifest")).unwrap();
            std::os::unix::fs::symlink(p("run/manifest.json"), p("linked-manifest/manifest.json"))
                .unwrap();
            assert!(
                !inspect(&p("linked-manifest"))
                    .unwrap()
                    .replaceable(Replace::Redraw)
            );
        }
        let e = Staging::new(&p("other")).unwrap_err().to_string();
        assert!(e.contains("did not write") && e.contains("--out"), "{e}");
    }

    #[test]
    fn paths_are_written_plainly_before_they_are_judged() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        assert_eq!(normalize(&dir.path().join("run/.")).unwrap(), run);
        assert_eq!(normalize(&dir.path().join("run/")).unwrap(), run);
        fs::create_dir(&run).unwrap();
        assert_eq!(
            normalize(&run.join("..")).unwrap(),
            dir.path().canonicalize().unwrap()
        );
        assert!(normalize(Path::new("/")).is_err());
        assert!(normalize(Path::new("")).is_err());
    }

    #[test]
    fn stale_cleanup_spares_folders_budgetsim_did_not_make() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("victim");
        // A dead process id, and a folder a user named like a temporary one.
        let mine = dir.path().join(".victim.tmp-999999999-notes");
        fs::create_dir(&mine).unwrap();
        fs::write(mine.join("thesis.txt"), "x").unwrap();
        let theirs = dir.path().join(".victim.tmp-999999999-0");
        fs::create_dir(&theirs).unwrap();
        fs::write(theirs.join(MARKER), "").unwrap();
        remove_stale(&dest);
        assert!(mine.join("thesis.txt").is_file());
        assert!(!theirs.exists(), "a killed run's folder is cleaned up");
    }

    #[test]
    fn long_folder_names_fit_their_hidden_neighbours() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("r".repeat(250));
        let s = Staging::new(&dest).unwrap();
        fs::write(s.path("manifest.json"), manifest("x")).unwrap();
        fs::write(s.path("x"), "1").unwrap();
        s.commit().unwrap();
        assert!(dest.join("x").is_file());
    }

    #[test]
    fn a_destination_taken_during_the_run_keeps_the_results_aside() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("run");
        let s = Staging::new(&dest).unwrap();
        fs::write(s.path("result.csv"), "1").unwrap();
        // Meanwhile the user creates a folder of their own there.
        fs::create_dir(&dest).unwrap();
        fs::write(dest.join("mine.txt"), "mine").unwrap();
        let e = s.commit().unwrap_err().to_string();
        assert!(e.contains("kept in"), "{e}");
        assert_eq!(fs::read_to_string(dest.join("mine.txt")).unwrap(), "mine");
        let kept: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("run.new-"))
            .collect();
        assert_eq!(kept.len(), 1);
        assert_eq!(
            fs::read_to_string(kept[0].path().join("result.csv")).unwrap(),
            "1"
        );
    }
}
