//! Walking a directory tree lazily, one entry at a time, for the examples' producers.
//!
//! Regular files, and symbolic links to regular files, are yielded as [`Found::File`].
//! What cannot be read as a file (a broken link, a FIFO, a socket, a device, a
//! directory that cannot be listed) is yielded as [`Found::Skipped`] with the reason,
//! so the caller can report it. Links to directories are not followed, so a link cycle
//! cannot make the walk endless.

use std::fs::{self, FileType, ReadDir};
use std::path::PathBuf;

/// One entry of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A file to read.
    File(PathBuf),
    /// Something that is not read, and why.
    Skipped { path: PathBuf, reason: String },
}

/// The entries under a directory, depth first, each directory listed as it is reached.
pub struct Walk {
    /// Directories still to list.
    pending: Vec<PathBuf>,
    /// The directory being listed.
    current: Option<(PathBuf, ReadDir)>,
}

/// Walks the tree under `root`.
pub fn walk(root: PathBuf) -> Walk {
    Walk {
        pending: vec![root],
        current: None,
    }
}

impl Iterator for Walk {
    type Item = Found;

    fn next(&mut self) -> Option<Found> {
        loop {
            let Some((dir, entries)) = &mut self.current else {
                let dir = self.pending.pop()?;
                match fs::read_dir(&dir) {
                    Ok(entries) => self.current = Some((dir, entries)),
                    Err(e) => {
                        return Some(Found::Skipped {
                            path: dir,
                            reason: format!("cannot list directory: {e}"),
                        })
                    }
                }
                continue;
            };
            let entry = match entries.next() {
                None => {
                    self.current = None;
                    continue;
                }
                Some(Err(e)) => {
                    return Some(Found::Skipped {
                        path: dir.clone(),
                        reason: format!("cannot list directory: {e}"),
                    })
                }
                Some(Ok(entry)) => entry,
            };
            let path = entry.path();
            let kind = match entry.file_type() {
                Ok(kind) => kind,
                Err(e) => {
                    return Some(Found::Skipped {
                        path,
                        reason: e.to_string(),
                    })
                }
            };
            if kind.is_dir() {
                self.pending.push(path);
            } else if kind.is_file() {
                return Some(Found::File(path));
            } else if kind.is_symlink() {
                match fs::metadata(&path) {
                    Ok(target) if target.is_file() => return Some(Found::File(path)),
                    // A link to a directory: not followed.
                    Ok(target) if target.is_dir() => {}
                    Ok(target) => {
                        return Some(Found::Skipped {
                            path,
                            reason: format!(
                                "not a regular file: a link to {}",
                                describe(target.file_type())
                            ),
                        })
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Some(Found::Skipped {
                            path,
                            reason: "broken symbolic link".to_owned(),
                        })
                    }
                    Err(e) => {
                        return Some(Found::Skipped {
                            path,
                            reason: e.to_string(),
                        })
                    }
                }
            } else {
                return Some(Found::Skipped {
                    path,
                    reason: format!("not a regular file: {}", describe(kind)),
                });
            }
        }
    }
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
