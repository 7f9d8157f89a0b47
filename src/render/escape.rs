//! Untrusted text made safe to show. Every string from the live account or the file (names,
//! ids, addresses, reasons, field values, problems) is shown through here, never obeyed.
//!
//! - Terminal and plain text: control characters (C0, DEL, C1), bidi controls and line
//!   separators are written as visible escapes (`\t`, `\u{1b}`, `\u{202e}`), so they can
//!   neither move the cursor, colour the terminal, forge a line, nor reorder the text around
//!   them.
//! - Markdown (a pull-request comment): the same, and HTML, `|`, backticks and `[` become
//!   character references so they cannot open a tag, end a `<details>`, break a table or start
//!   a link; `@` and `#` get a zero-width joiner after them so GitHub neither pings a team nor
//!   links an issue (it reads mentions after decoding character references, so an entity alone
//!   would not stop one). Code blocks get a fence longer than any backtick run inside them.

use std::borrow::Cow;
use std::fmt::Write as _;

/// GitHub links `@name` and `#123` unless something separates the sign from what follows.
const ZERO_WIDTH_JOINER: char = '\u{200d}';

/// Whether a character must be shown as an escape rather than printed.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// One line of untrusted text for a terminal: every control character, newlines included,
/// and every bidi control escaped.
pub(crate) fn line(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Untrusted text of several lines (an error chain, a file's diagnostics): as [`line`], but
/// newlines are kept.
pub(crate) fn lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !text
        .chars()
        .any(|c| is_hidden(c) && !(keep_newlines && c == '\n'))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' if keep_newlines => out.push('\n'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Untrusted text for inline markdown: a table cell, a `<summary>`, a `<code>` element. One
/// line, as [`line`], with markdown and HTML neutralised.
pub(crate) fn markdown(text: &str) -> String {
    let text = line(text);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '`' => out.push_str("&#96;"),
            '|' => out.push_str("&#124;"),
            '\\' => out.push_str("&#92;"),
            '[' => out.push_str("&#91;"),
            '@' | '#' => {
                out.push(c);
                out.push(ZERO_WIDTH_JOINER);
            }
            c => out.push(c),
        }
    }
    out
}

/// The fence for a code block holding `body`: longer than any run of backticks in it, so
/// nothing inside can close the block.
pub(crate) fn fence(body: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_shown_as_escapes() {
        assert_eq!(
            line("evil\u{202e}txt.exe\u{1b}[31m\tred\r\nnext\u{85}\u{7f}\u{2066}"),
            "evil\\u{202e}txt.exe\\u{1b}[31m\\tred\\r\\nnext\\u{85}\\u{7f}\\u{2066}"
        );
        assert_eq!(lines("a\u{200f}\nb"), "a\\u{200f}\nb");
        assert!(matches!(line("Acme Plumbing → ok 👩‍🔧"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_cannot_ping_link_or_break_out() {
        let shown = markdown("@org/team #1 ``` </details> <img src=x> [x](y)\n");
        for raw in ["@org", "#1", "`", "</details>", "<img", "[x]", "\n"] {
            assert!(!shown.contains(raw), "{raw} in {shown}");
        }
        assert_eq!(
            markdown("a|b <i> `c` @d #2 [e] \\"),
            "a&#124;b &lt;i&gt; &#96;c&#96; @\u{200d}d #\u{200d}2 &#91;e] &#92;"
        );
        // The escape's backslash is a character reference too; it renders as `\u{202e}`.
        assert_eq!(markdown("x\u{202e}\ny"), "x&#92;u{202e}&#92;ny");
    }

    #[test]
    fn fences_outlast_backtick_runs() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("a ``` b ````` c"), "``````");
    }
}
