//! Drift told apart from intent, with `--baseline`: the baseline (in CI, the target branch's
//! desired state) is planned against the same account as the file under review. A field
//! change the baseline's plan makes as well (same object, field, before and after) is drift:
//! the account moved outside vapiform, or the baseline was never applied. Any other is intent:
//! the file under review asks for it. A change is `intent` or `drift` when all its fields
//! agree and `mixed` otherwise; a change without fields (a delete) is drift when the baseline
//! makes the same change to the same object.

use std::collections::HashSet;

use serde_json::Value;

use super::change::Change;
use super::model::{Action, Address, Origin};

/// Labels every change and field change of `changes` by what `baseline` (the baseline's
/// changes against the same account) also does.
pub(crate) fn label(changes: &mut [Change], baseline: &[Change]) {
    let mut fields: HashSet<(&Address, &str, String, String)> = HashSet::new();
    let mut whole: HashSet<(&Address, Action)> = HashSet::new();
    for change in baseline {
        whole.insert((change.address(), change.action()));
        for field in &change.fields {
            fields.insert((
                change.address(),
                &field.path,
                side(field.before.as_ref()),
                side(field.after.as_ref()),
            ));
        }
    }
    for change in changes.iter_mut() {
        if change.fields.is_empty() {
            change.origin = Some(if whole.contains(&(change.address(), change.action())) {
                Origin::Drift
            } else {
                Origin::Intent
            });
            continue;
        }
        let address = change.address().clone();
        for field in &mut change.fields {
            let key = (
                &address,
                field.path.as_str(),
                side(field.before.as_ref()),
                side(field.after.as_ref()),
            );
            field.origin = Some(if fields.contains(&key) {
                Origin::Drift
            } else {
                Origin::Intent
            });
        }
        let first = change.fields[0].origin;
        change.origin = if change.fields.iter().all(|f| f.origin == first) {
            first
        } else {
            Some(Origin::Mixed)
        };
    }
}

/// One side of a field change as comparable text; a missing side differs from `null`.
fn side(value: Option<&Value>) -> String {
    value.map_or_else(String::new, Value::to_string)
}
