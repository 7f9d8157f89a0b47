//! Grouping assistant changes that are one change to many businesses, so a template edit made
//! to 2,000 businesses is reviewed once.
//!
//! A business's assistant changes are read back: wherever its own name or key appears in a
//! value (or the reason), it is written as `${business.name}` or `${business.key}`. Changes to
//! business assistants with the same action, template, reason and field changes once read back
//! form a group. Reading back is exact: a live value's own `${` is escaped as `$${` first (a
//! desired value already has its literals escaped), so filling each member's placeholders into
//! the group's fields gives that member's fields again. Every member stays a change of its
//! own; the group is how it is shown.

use std::collections::HashMap;

use serde_json::Value;

use super::change::Change;
use super::model::{Action, Address, FieldChange, Group};
use crate::desired::Desired;

/// The changes that are one change once read back, as groups of at least two; each member's
/// `group` is set to its group's id. Groups are numbered in the order of their first member.
pub(crate) fn assign(changes: &mut [Change], desired: &Desired) -> Vec<Group> {
    let mut groups: Vec<(Group, Vec<usize>)> = Vec::new();
    let mut by_content: HashMap<String, usize> = HashMap::new();
    for (index, change) in changes.iter().enumerate() {
        let Some(group) = read_back(change, desired) else {
            continue;
        };
        let content =
            serde_json::to_string(&(group.action, &group.template, &group.reason, &group.fields))
                .expect("field changes serialise");
        if let Some(&at) = by_content.get(&content) {
            groups[at].1.push(index);
        } else {
            by_content.insert(content, groups.len());
            groups.push((group, vec![index]));
        }
    }
    let mut kept = Vec::new();
    for (mut group, members) in groups.into_iter().filter(|(_, m)| m.len() > 1) {
        group.id = format!("g{}", kept.len() + 1);
        for index in members {
            changes[index].group = Some(group.id.clone());
        }
        kept.push(group);
    }
    kept
}

/// The change read back as a group of one, for a change to a business's own assistant that
/// can be grouped: a create or an update (an adoption names the assistant it takes over).
fn read_back(change: &Change, desired: &Desired) -> Option<Group> {
    let Address::Assistant(key) = &change.address() else {
        return None;
    };
    if !matches!(change.action(), Action::Create | Action::Update) {
        return None;
    }
    let business = desired.businesses.get(key.as_str())?;
    let names = Names {
        name: &business.name,
        key,
    };
    Some(Group {
        id: String::new(),
        action: change.action(),
        template: desired
            .assistants
            .get(key.as_str())
            .and_then(|a| a.template.clone()),
        reason: names.text(&change.reason, false),
        fields: change
            .fields
            .iter()
            .map(|field| FieldChange {
                path: field.path.clone(),
                before: field.before.as_ref().map(|v| names.value(v, true)),
                after: field.after.as_ref().map(|v| names.value(v, false)),
                origin: None,
            })
            .collect(),
    })
}

/// A business's own name and key, to read back as placeholders.
struct Names<'a> {
    name: &'a str,
    key: &'a str,
}

impl Names<'_> {
    /// Every string in `value` read back (keys untouched).
    fn value(&self, value: &Value, escape: bool) -> Value {
        crate::strings::map(value, |text| self.text(text, escape))
    }

    /// `text` with the name and key (the longer first where both match) as placeholders, in
    /// one pass so a placeholder written is never read again; with `escape`, `${` in the text
    /// itself becomes `$${`.
    fn text(&self, text: &str, escape: bool) -> String {
        let mut patterns = [
            (self.name, "${business.name}"),
            (self.key, "${business.key}"),
        ];
        patterns.sort_by_key(|(pattern, _)| std::cmp::Reverse(pattern.len()));
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        'scan: while let Some(c) = rest.chars().next() {
            for (pattern, placeholder) in patterns {
                if !pattern.is_empty() && rest.starts_with(pattern) {
                    out.push_str(placeholder);
                    rest = &rest[pattern.len()..];
                    continue 'scan;
                }
            }
            if escape && rest.starts_with("${") {
                out.push('$');
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::placeholder::{self, Context};

    #[test]
    fn reading_back_is_undone_by_filling_the_placeholders() {
        let names = Names {
            name: "Acme Plumbing",
            key: "acme",
        };
        let live = "Acme Plumbing (acme) says ${price} and $${x}; Acme Plumbing.";
        let read = names.text(live, true);
        assert_eq!(
            read,
            "${business.name} (${business.key}) says $${price} and $$${x}; ${business.name}."
        );
        let vars = placeholder::Vars::default();
        let (filled, unfilled) =
            placeholder::fill(&read, &Context::business("acme", "Acme Plumbing", &vars));
        assert!(unfilled.is_empty());
        assert_eq!(placeholder::unescape(&filled), live);
        // A key inside the name is read as part of the name; a written placeholder is never
        // read again.
        let names = Names {
            name: "business",
            key: "b",
        };
        assert_eq!(
            names.text("business b", false),
            "${business.name} ${business.key}"
        );
    }
}
