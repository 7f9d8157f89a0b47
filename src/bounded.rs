//! Reading a file vapiform is pointed at (a saved plan, a sandbox or simulator account) with a
//! bound on its size, so that `/dev/zero` or a runaway file is refused after that many bytes
//! instead of filling the machine's memory.

use std::io::{self, Read};
use std::path::Path;

/// The largest plan or account file read: far beyond a 50,000-business fleet's (a few hundred
/// MB), and a bound on what a wrong path can cost.
pub(crate) const MAX_BYTES: u64 = 1 << 30;

/// The text of the file at `path`, refused when it is larger than [`MAX_BYTES`] or not UTF-8.
pub(crate) fn read_to_string(path: &Path) -> io::Result<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(io::Error::other(format!(
            "the file is larger than {} MiB, the most vapiform reads",
            MAX_BYTES >> 20
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the file is not UTF-8"))
}
