//! What the simulator serves is what Vapi could answer: after applying the quickstart and an
//! onboarding, every assistant, phone number and squad of the sandbox account (stored exactly
//! as `GET` serves it) passes Vapi's response schema.

use serde_json::Value;
use vapiform::vapi::schema::{self, Dto, PhoneProvider};

use crate::fixtures::{objects, save};
use crate::support::{Workspace, onboarding};

/// Every violation of every object in the sandbox account, named by collection and id.
fn violations(account: &Value) -> Vec<String> {
    let mut found = Vec::new();
    for (collection, dto) in [
        ("assistants", Some(Dto::Assistant)),
        ("phoneNumbers", None),
        ("squads", Some(Dto::Squad)),
    ] {
        for object in account[collection].as_array().into_iter().flatten() {
            let dto = dto.or_else(|| {
                let provider = object["provider"].as_str()?;
                PhoneProvider::from_wire(provider).map(Dto::PhoneNumber)
            });
            let Some(dto) = dto else {
                found.push(format!("{collection} {}: unknown provider", object["id"]));
                continue;
            };
            for violation in schema::check(dto, object) {
                found.push(format!(
                    "{collection} {}: {}",
                    object["id"],
                    violation.nest_message()
                ));
            }
        }
    }
    found
}

#[test]
fn the_quickstart_account_is_valid_before_and_after_apply() {
    let workspace = Workspace::quickstart();
    assert_eq!(violations(&workspace.account()), Vec::<String>::new());
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    let account = workspace.account();
    assert!(!objects(&account, "assistants").is_empty());
    assert_eq!(violations(&account), Vec::<String>::new());
}

#[test]
fn an_onboarding_leaves_valid_objects() {
    let (account, file) = onboarding(3);
    let workspace = Workspace::new();
    save(&workspace, &account);
    workspace.write("vapiform.yaml", &file);
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    let account = workspace.account();
    assert_eq!(objects(&account, "assistants").len(), 3);
    assert_eq!(violations(&account), Vec::<String>::new());
}
