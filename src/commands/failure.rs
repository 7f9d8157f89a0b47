//! The document a failed command leaves on standard output when one was asked for
//! (`--format json` or `markdown` of `plan`, `apply` and `validate`): a pipeline reads one JSON
//! document whatever the outcome, and the GitHub Action posts vapiform's own markdown, never
//! the raw stream of standard error.
//!
//! A command that fails after printing its own document (a JSON problems document, a plan
//! refused by the mass-change rule, an apply report) leaves it as it is. Otherwise what the
//! command said on standard error (already escaped, and masked under `--mask-numbers`) becomes
//! the document: in a code block for markdown, as the `message` of one problem for JSON.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

use crate::cli::Format;
use crate::exit::Exit;
use crate::render::document::{Kind, document};
use crate::render::escape;

/// The most of standard error a document quotes; the rest is in the log.
const QUOTED: usize = 20_000;

/// What a run wrote, shared by the console's two streams and the document.
#[derive(Debug, Default)]
struct Written {
    /// Whether anything reached standard output.
    out: bool,
    /// Standard error, up to [`QUOTED`] bytes and one byte more.
    err: Vec<u8>,
}

/// Watches a run's standard output and standard error (see [`Recorder::out`] and
/// [`Recorder::err`]) for the document it may need at the end.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recorder(Arc<Mutex<Written>>);

impl Recorder {
    /// `stdout`, noting whether anything was written to it.
    pub(crate) fn out<W: Write + Send + 'static>(&self, stdout: W) -> Box<dyn Write + Send> {
        Box::new(Stream {
            inner: stdout,
            written: self.0.clone(),
            copy: false,
        })
    }

    /// `stderr`, keeping a copy of its beginning for the document.
    pub(crate) fn err<W: Write + Send + 'static>(&self, stderr: W) -> Box<dyn Write + Send> {
        Box::new(Stream {
            inner: stderr,
            written: self.0.clone(),
            copy: true,
        })
    }

    /// The document for a run of `command` that ended in `exit`, when `format` asks for one,
    /// the run failed, and it printed nothing on standard output.
    pub(crate) fn document(&self, command: &str, format: Format, exit: Exit) -> Option<String> {
        let written = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if written.out || matches!(exit, Exit::Success | Exit::ChangesPending) {
            return None;
        }
        let cut = written.err.len() > QUOTED;
        let said = String::from_utf8_lossy(&written.err[..written.err.len().min(QUOTED)]);
        let said = said.trim_end();
        let more = if cut {
            format!(" (cut at {QUOTED} bytes: the rest is on standard error)")
        } else {
            String::new()
        };
        match format {
            Format::Text => None,
            Format::Json => Some(document(
                Kind::Problems,
                &serde_json::json!({
                    "format_version": crate::plan::FORMAT_VERSION,
                    "exit": exit.code(),
                    "problems": [{"message": format!("{said}{more}")}],
                }),
            )),
            Format::Markdown => {
                let fence = escape::fence(said);
                Some(format!(
                    "**vapiform {command} exited {}**: {}{more}\n\n{fence}text\n{said}\n{fence}\n",
                    exit.code(),
                    exit.meaning()
                ))
            }
        }
    }
}

/// One of the console's streams, recorded.
struct Stream<W> {
    inner: W,
    written: Arc<Mutex<Written>>,
    /// Whether to keep a copy (standard error) or only note a write (standard output).
    copy: bool,
}

impl<W: Write> Write for Stream<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(bytes)?;
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        if self.copy {
            let room = (QUOTED + 1).saturating_sub(written.err.len());
            written.err.extend_from_slice(&bytes[..n.min(room)]);
        } else if n > 0 {
            written.out = true;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
