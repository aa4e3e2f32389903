//! A secret key kept in a file of the data folder, so that it survives a
//! restart and instances sharing the folder share it: jwt-app's signing key,
//! the device cookies' key. Created once with fresh random bytes, readable by
//! the owner only, written under a temporary name and linked into place (the
//! link fails if the file exists, so servers starting together agree on one
//! key and never read a half-written one), and read back at every start.

use std::{
    fs::{self, OpenOptions},
    io::{ErrorKind, Write},
    path::{Path, PathBuf},
};

use anyhow::Context;
use rand::{RngCore, rngs::OsRng};

/// Every key file holds this many random bytes.
pub const KEY_BYTES: usize = 32;

/// The key in `path`, created first if the file does not exist.
/// `lost_on_replace` says what a new key would break, for the message on a
/// file of the wrong size ("tokens signed with the old one stop working").
pub fn load_or_create(path: &Path, lost_on_replace: &str) -> anyhow::Result<[u8; KEY_BYTES]> {
    if let Some(key) = read(path, lost_on_replace)? {
        return Ok(key);
    }
    create(path)?;
    // Read back rather than trust what was written: another instance sharing
    // the folder may have won the race to create it.
    read(path, lost_on_replace)?
        .with_context(|| format!("the key file {} vanished", path.display()))
}

fn read(path: &Path, lost_on_replace: &str) -> anyhow::Result<Option<[u8; KEY_BYTES]>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read the key file {}", path.display()));
        }
    };
    warn_if_readable_by_others(path);
    let key = bytes.as_slice().try_into().map_err(|_| {
        anyhow::anyhow!(
            "the key file {} holds {} bytes, not {KEY_BYTES}; delete it to make a new key \
             ({lost_on_replace})",
            path.display(),
            bytes.len()
        )
    })?;
    Ok(Some(key))
}

fn create(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
    }
    let mut key = [0u8; KEY_BYTES];
    OsRng.fill_bytes(&mut key);
    let tmp = temp_path(path);
    let linked = write_private(&tmp, &key).and_then(|()| match fs::hard_link(&tmp, path) {
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        other => other,
    });
    let _ = fs::remove_file(&tmp);
    linked.with_context(|| format!("cannot create the key file {}", path.display()))?;
    tracing::info!(path = %path.display(), "created a new key file");
    Ok(())
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::new_v4()))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                "the key file is readable by other users; run `chmod 600` on it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
