//! What the text and markdown views show, in order: each change alone, or a group of changes
//! (see [`crate::plan::Group`]) once, at its first member; the changes the file asks for
//! first, then, with `--baseline`, drift in a section of its own.

use std::collections::HashMap;

use crate::plan::{Action, Address, Change, FieldChange, Group, Origin, Plan};

/// A part of the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Section {
    /// What the file asks for: every change, or with `--baseline` those that are intent or
    /// mixed.
    Asked,
    /// Changes the baseline plans too.
    Drift,
}

/// One item of the view.
pub(crate) enum Entry<'p> {
    /// A change shown alone.
    Change(&'p Change),
    /// Members of a group, shown once; at least two, with the same origins.
    Group {
        /// The group.
        group: &'p Group,
        /// Its members in this section, in plan order.
        members: Vec<&'p Change>,
    },
}

impl<'p> Entry<'p> {
    /// The first change it shows.
    pub(crate) fn first(&self) -> &'p Change {
        match self {
            Entry::Change(change) => change,
            Entry::Group { members, .. } => members[0],
        }
    }

    /// How many changes it shows.
    pub(crate) fn len(&self) -> usize {
        match self {
            Entry::Change(_) => 1,
            Entry::Group { members, .. } => members.len(),
        }
    }

    /// What it does.
    pub(crate) fn action(&self) -> Action {
        self.first().action()
    }

    /// Its reason: a group's reads back each business's name and key.
    pub(crate) fn reason(&self) -> &'p str {
        match self {
            Entry::Change(change) => &change.reason,
            Entry::Group { group, .. } => &group.reason,
        }
    }

    /// Its field changes, each with its origin: a group's are read back, with the origins
    /// every member in the entry shares.
    pub(crate) fn fields(&self) -> Vec<(&'p FieldChange, Option<Origin>)> {
        match self {
            Entry::Change(change) => change.fields.iter().map(|f| (f, f.origin)).collect(),
            Entry::Group { group, members } => group
                .fields
                .iter()
                .zip(&members[0].fields)
                .map(|(field, member)| (field, member.origin))
                .collect(),
        }
    }

    /// The addresses it covers, as few items as they can be, each with how many addresses
    /// it stands for (see [`compact`]).
    pub(crate) fn addresses(&self) -> Vec<(String, usize)> {
        match self {
            Entry::Change(change) => vec![(change.address().to_string(), 1)],
            Entry::Group { members, .. } => {
                compact(&members.iter().map(|c| c.address()).collect::<Vec<_>>())
            }
        }
    }
}

/// The members of a group that are shown together: its id, their section and the origins of
/// their fields.
type Part<'a> = (&'a str, Section, Vec<Option<Origin>>);

/// The entries of each section, in plan order. A group's members in one section with the same
/// field origins are one entry, where the first of them is; a lone member is shown as a change
/// of its own.
pub(crate) fn entries(plan: &Plan) -> Vec<(Section, Vec<Entry<'_>>)> {
    let section_of = |change: &Change| match change.origin {
        Some(Origin::Drift) => Section::Drift,
        _ => Section::Asked,
    };
    let groups: HashMap<&str, &Group> = plan.groups.iter().map(|g| (g.id.as_str(), g)).collect();
    // The members of each part of a group, and the part of each change.
    let mut parts: HashMap<Part<'_>, Vec<&Change>> = HashMap::new();
    let mut part_of: Vec<Option<Part<'_>>> = Vec::with_capacity(plan.changes.len());
    for change in &plan.changes {
        let part = change
            .group
            .as_deref()
            .filter(|id| groups.contains_key(id))
            .map(|id| {
                let origins = change.fields.iter().map(|f| f.origin).collect();
                (id, section_of(change), origins)
            });
        if let Some(part) = &part {
            parts.entry(part.clone()).or_default().push(change);
        }
        part_of.push(part);
    }
    let mut asked = Vec::new();
    let mut drift = Vec::new();
    for (change, part) in plan.changes.iter().zip(&part_of) {
        let entry = match part.as_ref().map(|part| (part.0, &parts[part])) {
            Some((id, members)) if members.len() > 1 => {
                if !std::ptr::eq(members[0], change) {
                    continue;
                }
                Entry::Group {
                    group: groups[id],
                    members: members.clone(),
                }
            }
            _ => Entry::Change(change),
        };
        match section_of(change) {
            Section::Asked => asked.push(entry),
            Section::Drift => drift.push(entry),
        }
    }
    vec![(Section::Asked, asked), (Section::Drift, drift)]
}

/// Addresses (in natural order) as few items as they can be, each with how many addresses it
/// stands for: a run of three or more whose keys count up (`assistant/b0001`,
/// `assistant/b0002`, ...) is one item, `assistant/b0001–b0042`.
pub(crate) fn compact(addresses: &[&Address]) -> Vec<(String, usize)> {
    let mut items = Vec::new();
    let mut at = 0;
    while at < addresses.len() {
        let mut end = at;
        while end + 1 < addresses.len() && follows(addresses[end], addresses[end + 1]) {
            end += 1;
        }
        if end - at >= 2 {
            let last = match addresses[end] {
                Address::Assistant(key) => key.to_string(),
                Address::Number(number) => number.to_string(),
                duplicate @ Address::Duplicate { .. } => duplicate.to_string(),
            };
            items.push((format!("{}–{last}", addresses[at]), end - at + 1));
        } else {
            items.extend(addresses[at..=end].iter().map(|a| (a.to_string(), 1)));
        }
        at = end + 1;
    }
    items
}

/// Whether `next` is the address after `address` in a counting run: the same kind, and a key
/// whose trailing number is one more, written as wide.
fn follows(address: &Address, next: &Address) -> bool {
    let (Address::Assistant(key), Address::Assistant(next)) = (address, next) else {
        return false;
    };
    let digits = key.len() - key.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (prefix, number) = key.split_at(key.len() - digits);
    match number.parse::<u64>() {
        Ok(n) if digits > 0 => n
            .checked_add(1)
            .is_some_and(|after| next.as_str() == format!("{prefix}{after:0digits$}")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_runs_are_one_item() {
        let keys = [
            "acme", "b0008", "b0009", "b0010", "b0011", "b12", "b13", "b9", "c1", "c2", "c3",
        ];
        let addresses: Vec<Address> = keys
            .iter()
            .map(|k| Address::Assistant(crate::id::Label::of(k)))
            .collect();
        let refs: Vec<&Address> = addresses.iter().collect();
        let items = compact(&refs);
        let shown: Vec<&str> = items.iter().map(|(item, _)| item.as_str()).collect();
        assert_eq!(
            shown,
            [
                "assistant/acme",
                "assistant/b0008–b0011",
                "assistant/b12",
                "assistant/b13",
                "assistant/b9",
                "assistant/c1–c3",
            ]
        );
        let counts: Vec<usize> = items.iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [1, 4, 1, 1, 1, 3]);
    }
}
