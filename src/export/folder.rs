//! The output folder, written whole or not at all: files go into a hidden temporary
//! folder beside the destination, which replaces the destination in one atomic rename
//! only when every file is complete. A failed or interrupted run leaves the previous
//! results as they were.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary folders of one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A run folder being written.
#[derive(Debug)]
pub struct Staging {
    dest: PathBuf,
    tmp: PathBuf,
    committed: bool,
}

fn hidden(dest: &Path, suffix: &str) -> io::Result<PathBuf> {
    let name = dest.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{}` does not name a folder", dest.display()),
        )
    })?;
    let parent = dest.parent().unwrap_or(Path::new("."));
    Ok(parent.join(format!(".{}.{suffix}", name.to_string_lossy())))
}

/// Whether process `pid` is alive (Linux /proc; elsewhere assume it is).
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// Removes temporary folders for `dest` left by processes that no longer run
/// (a run killed with SIGKILL cannot clean up after itself).
fn remove_stale(dest: &Path) {
    let (Some(parent), Some(name)) = (dest.parent(), dest.file_name()) else {
        return;
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&prefix) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| p != std::process::id() && !alive(p)) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

impl Staging {
    /// Starts a run folder that will become `dest`. Creates `dest`'s parent if needed.
    pub fn new(dest: &Path) -> io::Result<Staging> {
        if dest.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("`{}` is a file, not a folder", dest.display()),
            ));
        }
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)?;
        }
        remove_stale(dest);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = hidden(dest, &format!("tmp-{}-{n}", std::process::id()))?;
        fs::create_dir(&tmp)?;
        Ok(Staging {
            dest: dest.to_path_buf(),
            tmp,
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

    /// Makes the folder visible at its destination, replacing any previous one. Runs
    /// that finish at the same moment take turns (a lock file beside the folder); each
    /// replacement is one rename, so readers see the old folder or the new one, whole.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        sync_tree(&self.tmp)?;
        let lock = File::create(hidden(&self.dest, "lock")?)?;
        lock.lock()?;
        if self.dest.exists() {
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

    #[test]
    fn commit_replaces_and_drop_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("run");
        let s = Staging::new(&dest).unwrap();
        fs::write(s.path("a.txt"), "one").unwrap();
        s.commit().unwrap();
        assert_eq!(fs::read_to_string(dest.join("a.txt")).unwrap(), "one");

        let s = Staging::new(&dest).unwrap();
        fs::write(s.path("a.txt"), "two").unwrap();
        drop(s); // a failed run
        assert_eq!(fs::read_to_string(dest.join("a.txt")).unwrap(), "one");

        let s = Staging::new(&dest).unwrap();
        fs::write(s.path("b.txt"), "three").unwrap();
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
