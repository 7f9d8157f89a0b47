//! Phone numbers masked for public repositories (`--mask-numbers`): every E.164 number in the
//! text and markdown views of a plan, wherever it appears (addresses, endpoints, untouched
//! lists, field values, a prompt's text), is shown as `+1415•••0101`. The JSON plan keeps them
//! whole.
//!
//! The plan is masked as data before it is rendered, so every view sees only masked numbers
//! and the markdown byte budget counts the masked text.

use serde_json::Value;

use crate::plan::Plan;

/// What stands for the hidden digits.
const HIDDEN: &str = "•••";

/// The plan with every E.164 number in its strings masked.
pub fn numbers(plan: &Plan) -> Plan {
    let value = serde_json::to_value(plan).expect("a plan serialises");
    // Masking changes digits inside strings only; no string the plan parses (an address, an
    // action) becomes unreadable, as numbers in addresses are any text.
    serde_json::from_value(strings(value)).expect("a masked plan reads back")
}

/// Every string of `value` (not the keys) with its numbers masked.
fn strings(value: Value) -> Value {
    match value {
        Value::String(text) => Value::String(text_of(&text)),
        Value::Array(items) => Value::Array(items.into_iter().map(strings).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, strings(v))).collect())
        }
        other => other,
    }
}

/// `text` with every `+` followed by 8 to 15 digits (an E.164 number) masked: the first four
/// digits and the last four stay (two and two for numbers shorter than 11 digits).
pub(crate) fn text_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('+') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if (8..=15).contains(&digits) {
            let keep = if digits >= 11 { 4 } else { 2 };
            out.push_str(&rest[..keep]);
            out.push_str(HIDDEN);
            out.push_str(&rest[digits - keep..digits]);
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::text_of;

    #[test]
    fn e164_numbers_are_masked_wherever_they_are() {
        assert_eq!(text_of("number/+14155550101"), "number/+1415•••0101");
        assert_eq!(
            text_of("call +442071838750 or +4930123456."),
            "call +4420•••8750 or +49•••56."
        );
        // Not a number: too short, too long, or no `+`.
        for kept in ["+1234567", "+1234567890123456", "14155550101", "a + b", "+"] {
            assert_eq!(text_of(kept), kept);
        }
    }
}
