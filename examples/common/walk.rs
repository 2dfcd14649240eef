//! What the examples do with each entry of a `walkdir` walk, which does not follow
//! links: a regular file, or a symbolic link to one, is a file to read; a directory,
//! or a link to one, is passed over (so a link cycle cannot make the walk endless);
//! anything else (a broken link, a FIFO, a socket, a device, a directory that cannot
//! be listed) is skipped with the reason, for the caller to report.

use std::fs::{self, FileType};
use std::io;
use std::path::PathBuf;
use walkdir::DirEntry;

/// An entry of the tree that is not a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A file to read.
    File(PathBuf),
    /// Something that is not read, and why.
    Skipped { path: PathBuf, reason: String },
}

/// What `entry` is, or `None` for a directory or a link to one.
pub fn found(entry: walkdir::Result<DirEntry>) -> Option<Found> {
    let entry = match entry {
        Ok(entry) => entry,
        Err(e) => {
            let reason = match e.io_error() {
                Some(io) => format!("cannot list directory: {io}"),
                None => e.to_string(),
            };
            let path = e.path().map(PathBuf::from).unwrap_or_default();
            return Some(Found::Skipped { path, reason });
        }
    };
    let kind = entry.file_type();
    if kind.is_dir() {
        return None;
    }
    if kind.is_file() {
        return Some(Found::File(entry.into_path()));
    }
    if !kind.is_symlink() {
        let reason = format!("not a regular file: {}", describe(kind));
        return Some(Found::Skipped {
            path: entry.into_path(),
            reason,
        });
    }
    let reason = match fs::metadata(entry.path()) {
        Ok(target) if target.is_file() => return Some(Found::File(entry.into_path())),
        Ok(target) if target.is_dir() => return None,
        Ok(target) => format!(
            "not a regular file: a link to {}",
            describe(target.file_type())
        ),
        Err(e) if e.kind() == io::ErrorKind::NotFound => "broken symbolic link".to_owned(),
        Err(e) => e.to_string(),
    };
    Some(Found::Skipped {
        path: entry.into_path(),
        reason,
    })
}

/// What a file that is not a regular file or a directory is.
fn describe(kind: FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_char_device() {
        "a character device"
    } else {
        "a special file"
    }
}
