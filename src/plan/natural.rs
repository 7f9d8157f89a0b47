//! Natural order for names and addresses: runs of digits compare by value, so `b2` comes
//! before `b10` and a reviewer finds business 10 after business 9.

use std::cmp::Ordering;

/// Compares `a` and `b` naturally; equal-valued digit runs fall back to their text (`01` after
/// `1`), so the order is total and agrees with equality.
pub(crate) fn cmp(a: &str, b: &str) -> Ordering {
    let (mut a_rest, mut b_rest) = (a, b);
    loop {
        match (a_rest.chars().next(), b_rest.chars().next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (a_digits, a_tail) = split_digits(a_rest);
                let (b_digits, b_tail) = split_digits(b_rest);
                let (a_value, b_value) = (
                    a_digits.trim_start_matches('0'),
                    b_digits.trim_start_matches('0'),
                );
                let order = a_value
                    .len()
                    .cmp(&b_value.len())
                    .then_with(|| a_value.cmp(b_value));
                if order != Ordering::Equal {
                    return order;
                }
                (a_rest, b_rest) = (a_tail, b_tail);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                (a_rest, b_rest) = (&a_rest[x.len_utf8()..], &b_rest[y.len_utf8()..]);
            }
        }
    }
}

fn split_digits(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    text.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::cmp;
    use std::cmp::Ordering;

    #[test]
    fn digit_runs_compare_by_value() {
        let mut names = vec!["b10", "b2", "b1", "a", "b02", "b", "c3x", "c3"];
        names.sort_by(|a, b| cmp(a, b));
        assert_eq!(names, ["a", "b", "b1", "b02", "b2", "b10", "c3", "c3x"]);
        assert_eq!(cmp("+14155550100", "+14155550100"), Ordering::Equal);
        assert_eq!(cmp("x9", "x10"), Ordering::Less);
        assert_eq!(cmp("é2", "é10"), Ordering::Less);
    }
}
