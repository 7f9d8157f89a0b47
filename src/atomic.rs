//! Writing a file whole or not at all, for every file vapiform writes: the sandbox state
//! file, `plan --out` and `export -o`.
//!
//! The new contents go to a temporary file in the directory of the file finally written,
//! which is then renamed over it, so a reader (or a run that is killed half-way) sees the old
//! file or the new one, never a mix. A symlink is followed to its target, which is replaced
//! while the link stays a link, and an existing file keeps its permission mode: a state file
//! kept at 0600 stays 0600. A new file gets the usual mode for the user's umask. What exists
//! and is not a regular file is never replaced: a device or a FIFO (`/dev/null`,
//! `/dev/stdout`, a named pipe) is written in place, and a folder is refused.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// How many symlinks in a row are followed before giving up, as the kernel does.
const MAX_LINKS: usize = 40;

/// Writes what `fill` produces to `path`, whole or not at all.
pub(crate) fn write(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let target = resolve(path)?;
    if let Ok(metadata) = fs::metadata(&target)
        && !metadata.is_file()
    {
        if metadata.is_dir() {
            return Err(io::Error::other(format!(
                "{} is a folder, not a file",
                path.display()
            )));
        }
        // Renaming a file over a device or a FIFO would destroy it: write into it instead.
        let mut writer = BufWriter::new(fs::OpenOptions::new().write(true).open(&target)?);
        fill(&mut writer)?;
        return writer.flush();
    }
    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let existing = match fs::metadata(&target) {
        Ok(metadata) => Some(metadata.permissions()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(error),
    };
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |name| name.to_string_lossy().into_owned());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // A new file gets what `File::create` gives it: read and write for all, less the umask
    // (tempfile's own default is owner-only).
    #[cfg(unix)]
    if existing.is_none() {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let temporary = builder.tempfile_in(directory)?;
    let mut writer = BufWriter::new(temporary);
    fill(&mut writer)?;
    let temporary = writer
        .into_inner()
        .map_err(io::IntoInnerError::into_error)?;
    if let Some(permissions) = existing {
        temporary.as_file().set_permissions(permissions)?;
    }
    temporary.persist(&target).map_err(|error| error.error)?;
    Ok(())
}

/// The file a write to `path` lands in: `path` itself, or the end of its chain of symlinks
/// (which need not exist yet).
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(error) => return Err(error),
        }
    }
    Err(io::Error::other(format!(
        "{}: more than {MAX_LINKS} symlinks in a row",
        path.display()
    )))
}
