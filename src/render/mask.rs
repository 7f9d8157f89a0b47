//! Phone numbers masked for public repositories (`--mask-numbers`): every phone number in the
//! text and markdown views of a plan, in any common notation, wherever it appears (addresses,
//! endpoints, untouched lists, field values, a prompt's text), is shown as `+1415•••0101`. The
//! JSON plan keeps them whole.
//!
//! The plan is masked as data before it is rendered, so every view sees only masked numbers
//! and the markdown byte budget counts the masked text. Standard error (problems, errors,
//! warnings, the log) is masked line by line as it is written ([`Lines`]).

use std::io::{self, Write};

use serde_json::Value;

use crate::plan::Plan;

/// What stands for the hidden digits.
const HIDDEN: &str = "•••";

/// The plan with every E.164 number in its strings masked, for display: its changes' requests
/// and preconditions, never shown, stay as they are, so that each change still reads back as
/// one whose parts agree; their addresses are masked after.
pub(crate) fn numbers(plan: &Plan) -> serde_json::Result<Plan> {
    let value = serde_json::to_value(plan)?;
    let mut masked = crate::strings::map(&value, text_of);
    if let (Some(changes), Some(kept)) = (
        masked.get_mut("changes").and_then(Value::as_array_mut),
        value.get("changes").and_then(Value::as_array),
    ) {
        for (change, kept) in changes.iter_mut().zip(kept) {
            for part in ["address", "precondition", "write"] {
                change[part] = kept[part].clone();
            }
        }
    }
    let mut shown: Plan = serde_json::from_value(masked)?;
    for change in &mut shown.changes {
        change.mask_address(text_of);
    }
    Ok(shown)
}

/// `text` with every phone number masked, in any common notation: a `+` and 8 to 15 digits
/// (`+14155550101`, `+1 415 555 0101`), or 10 to 15 digits without it (`14155550101`,
/// `(415) 555-0101`, `415.555.0101`), the digits grouped by spaces, dots, dashes or
/// parentheses. Shown compact: the `+` if written, the first four digits and the last four
/// (two and two for numbers shorter than 11 digits). Shorter digit runs without a `+` (dates
/// such as `2026-12-06`, counts, versions) are left as they are.
pub(crate) fn text_of(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < text.len() {
        let byte = bytes[at];
        let bounded = at == 0 || !is_word(bytes[at - 1]);
        if bounded
            && (byte == b'+' || byte == b'(' || byte.is_ascii_digit())
            && let Some((end, digits)) = number_at(bytes, at)
        {
            let written_plus = byte == b'+';
            let n = digits.len();
            if (8..=15).contains(&n) && (written_plus || n >= 10) {
                let keep = if n >= 11 { 4 } else { 2 };
                if written_plus {
                    out.push('+');
                }
                out.push_str(&digits[..keep]);
                out.push_str(HIDDEN);
                out.push_str(&digits[n - keep..]);
            } else {
                // Not a phone number (too long, too short): none of its parts is one either.
                out.push_str(&text[at..end]);
            }
            at = end;
            continue;
        }
        let width = text[at..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[at..at + width]);
        at += width;
    }
    out
}

/// A writer that masks every phone number of each line before passing it on: what the user
/// reads on standard error with `--mask-numbers`. A line is held until it ends (a number never
/// spans two), or until the writer is flushed or dropped.
pub(crate) struct Lines<W: Write> {
    inner: W,
    line: Vec<u8>,
}

impl<W: Write> Lines<W> {
    /// Masks what is written to `inner`.
    pub(crate) fn new(inner: W) -> Self {
        Self {
            inner,
            line: Vec::new(),
        }
    }

    /// Writes what is held, masked.
    fn pass_on(&mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            let text = text_of(&String::from_utf8_lossy(&self.line));
            self.line.clear();
            self.inner.write_all(text.as_bytes())?;
        }
        Ok(())
    }
}

impl<W: Write> Write for Lines<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        for chunk in bytes.split_inclusive(|&b| b == b'\n') {
            self.line.extend_from_slice(chunk);
            if chunk.ends_with(b"\n") {
                self.pass_on()?;
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.pass_on()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for Lines<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Whether a byte is part of a word: a number inside an id (`n14155550101`) is not one.
fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// The phone number written from `start`: where it ends and its digits. It is digits grouped
/// by single spaces, dots, dashes and parentheses, after an optional `+`; it ends at its last
/// digit, which no letter or digit may follow.
fn number_at(bytes: &[u8], start: usize) -> Option<(usize, String)> {
    let mut at = start + usize::from(bytes[start] == b'+');
    let mut digits = String::new();
    let mut end = None;
    let mut previous = b'+';
    while at < bytes.len() {
        let byte = bytes[at];
        match byte {
            b'0'..=b'9' => {
                digits.push(char::from(byte));
                end = Some(at + 1);
            }
            b' ' | b'.' | b'-' if previous.is_ascii_digit() || previous == b')' => {}
            b'(' if !previous.is_ascii_digit() => {}
            b')' if previous.is_ascii_digit() => {}
            _ => break,
        }
        previous = byte;
        at += 1;
    }
    let end = end?;
    if bytes.get(end).is_some_and(|&b| is_word(b)) {
        return None;
    }
    Some((end, digits))
}

#[cfg(test)]
mod tests {
    use super::{numbers, text_of};
    use crate::plan::{Change, Operation, Plan};

    #[test]
    fn a_plan_is_masked_for_display_and_writes_what_it_wrote() {
        let body = serde_json::Map::new();
        let plan = Plan::of(vec![
            Change::create("shop-14155550101"),
            Change::of(Operation::import(&"+14155550102".into(), body, None)),
        ]);
        let shown = numbers(&plan).unwrap();
        let addresses: Vec<String> = shown
            .changes
            .iter()
            .map(|c| c.address().to_string())
            .collect();
        assert_eq!(
            addresses,
            ["assistant/shop-1415•••0101", "number/+1415•••0102"]
        );
        let ops: Vec<&Operation> = shown.changes.iter().map(Change::op).collect();
        assert_eq!(ops, plan.changes.iter().map(Change::op).collect::<Vec<_>>());
    }

    #[test]
    fn e164_numbers_are_masked_wherever_they_are() {
        assert_eq!(text_of("number/+14155550101"), "number/+1415•••0101");
        assert_eq!(
            text_of("call +442071838750 or +4930123456."),
            "call +4420•••8750 or +49•••56."
        );
        // Not a number: too short, too long, a date, part of an id.
        for kept in [
            "+1234567",
            "+1234567890123456",
            "a + b",
            "+",
            "created 2026-11-29T10:00:00.000Z",
            "n14155550101",
            "v1.2.3",
            "9c000000-0000-4000-8000-000000000001",
        ] {
            assert_eq!(text_of(kept), kept);
        }
    }

    #[test]
    fn every_common_notation_is_masked() {
        for (written, shown) in [
            ("call (415) 555-0101 now", "call 41•••01 now"),
            ("415.555.0101", "41•••01"),
            ("+1 415 555 0101", "+1415•••0101"),
            ("14155550100.", "1415•••0100."),
            ("+44 20 7183 8750", "+4420•••8750"),
        ] {
            assert_eq!(text_of(written), shown, "{written}");
        }
    }

    #[test]
    fn a_written_stream_is_masked_line_by_line_whatever_its_pieces() {
        use std::io::Write as _;
        let mut out = Vec::new();
        {
            let mut lines = super::Lines::new(&mut out);
            for piece in [
                "error: number/+1415",
                "5550101 is listed\nunder ",
                "(415) 555-0102",
            ] {
                lines.write_all(piece.as_bytes()).unwrap();
            }
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "error: number/+1415•••0101 is listed\nunder 41•••02"
        );
    }

    #[test]
    fn no_number_of_8_to_15_digits_is_shown_whole() {
        for n in 8_u8..=15 {
            let digits: String = (0..n).map(|i| char::from(b'1' + i % 9)).collect();
            let masked = text_of(&format!("dial +{digits} today"));
            assert!(!masked.contains(&digits), "{n} digits: {masked}");
            if n >= 10 {
                let masked = text_of(&format!("dial {digits} today"));
                assert!(!masked.contains(&digits), "{n} digits: {masked}");
            }
        }
    }
}
