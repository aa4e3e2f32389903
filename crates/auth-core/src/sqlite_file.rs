//! A SQLite database kept in a file, which any number of server processes
//! may open at the same moment (two terminals, `just up`, the compare
//! harness's children).
//!
//! sqlx's migrator locks PostgreSQL and MySQL while it migrates, but takes no
//! lock on SQLite: two processes opening a fresh file would both run
//! migration 1 and one would die on "table users already exists". A lock file
//! beside the database serializes them; the operating system releases it when
//! its holder exits, also when it crashes, so a dead process never blocks the
//! next start.

use std::{
    fs::{File, OpenOptions},
    path::{Path, PathBuf},
};

use anyhow::Context;

/// The file a `sqlite:` URL names, or `None` for an in-memory database.
#[derive(Debug, Clone)]
pub struct SqliteFile {
    path: PathBuf,
}

/// Held while this process migrates the file; dropping it lets the next one in.
#[derive(Debug)]
pub struct MigrationLock {
    _file: File,
}

impl SqliteFile {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.contains(":memory:") || mode(url) == Some("memory") {
            return None;
        }
        let path = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:")
            .split('?')
            .next()
            .unwrap_or_default();
        (!path.is_empty()).then(|| Self {
            path: PathBuf::from(path),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The URL to connect with. Without a `mode`, sqlx would refuse a missing
    /// file ("unable to open database file"): a server's first start is
    /// meant to create it, with its folder. An explicit `mode=rw` or `ro`
    /// says the file must already exist, so its absence is refused in words.
    pub fn prepare(&self, url: &str) -> anyhow::Result<String> {
        match mode(url) {
            None => {
                self.create_folder()?;
                let sep = if url.contains('?') { '&' } else { '?' };
                Ok(format!("{url}{sep}mode=rwc"))
            }
            Some("rwc") => {
                self.create_folder()?;
                Ok(url.to_owned())
            }
            Some(other) if !self.path.exists() => anyhow::bail!(
                "the SQLite file {} does not exist, and `mode={other}` in DATABASE_URL forbids \
                 creating it: drop `mode={other}` (or say `mode=rwc`) and the server creates it",
                self.path.display()
            ),
            Some(_) => Ok(url.to_owned()),
        }
    }

    /// Waits until no other process migrates this file, then keeps the others
    /// out until the returned lock is dropped.
    pub async fn lock_for_migration(&self) -> anyhow::Result<MigrationLock> {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        let lock_path = PathBuf::from(name);
        // A blocking wait of the operating system's: off the async runtime.
        tokio::task::spawn_blocking(move || {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
                .with_context(|| format!("cannot open the lock file {}", lock_path.display()))?;
            file.lock()
                .with_context(|| format!("cannot lock {}", lock_path.display()))?;
            Ok(MigrationLock { _file: file })
        })
        .await
        .context("the task waiting for the migration lock failed")?
    }

    fn create_folder(&self) -> anyhow::Result<()> {
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create the data folder {}", parent.display()))?;
        }
        Ok(())
    }
}

/// The `mode` query parameter of a `sqlite:` URL.
fn mode(url: &str) -> Option<&str> {
    let (_, query) = url.split_once('?')?;
    query.split('&').find_map(|pair| pair.strip_prefix("mode="))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_databases_are_no_file() {
        assert!(SqliteFile::from_url("sqlite::memory:").is_none());
        assert!(SqliteFile::from_url("sqlite://x.db?mode=memory").is_none());
    }

    #[test]
    fn a_url_without_mode_creates_the_file() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}/sub/x.db", dir.path().display());
        let file = SqliteFile::from_url(&url).expect("a file");
        assert_eq!(file.path(), dir.path().join("sub/x.db"));
        assert_eq!(file.prepare(&url)?, format!("{url}?mode=rwc"));
        assert!(dir.path().join("sub").is_dir());
        let with_query = format!("{url}?cache=shared");
        assert_eq!(
            file.prepare(&with_query)?,
            format!("{url}?cache=shared&mode=rwc")
        );
        Ok(())
    }

    #[test]
    fn a_missing_file_that_must_exist_is_refused_with_the_way_out() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}/x.db?mode=rw", dir.path().display());
        let file = SqliteFile::from_url(&url).expect("a file");
        let err = file.prepare(&url).expect_err("refused").to_string();
        assert!(err.contains("mode=rwc"), "{err}");
        Ok(())
    }
}
