//! Small accounts built object by object, and readers of saved accounts and plans, for the
//! tests of safety promises.

use serde_json::{Map, Value, json};
use vapiform::sim::Account;

use crate::support::Workspace;

/// When every seeded object was created and last updated.
pub(crate) const AT: &str = "2026-01-01T00:00:00.000Z";
/// The credential every seeded or imported telnyx number uses.
pub(crate) const CREDENTIAL: &str = "9a1e0c4e-2b3d-4e5f-8a9b-0c1d2e3f4a5b";

/// A uuid-shaped id, distinct per `kind` digit and `i`.
pub(crate) fn uuid(kind: u8, i: usize) -> String {
    format!("00000000-0000-4000-800{kind}-{i:012}")
}

/// An assistant as Vapi returns it, with `fields` merged over its server-set fields.
pub(crate) fn assistant(id: &str, fields: &Value) -> Map<String, Value> {
    let mut object = object(&json!({"id": id, "orgId": "o", "createdAt": AT, "updatedAt": AT}));
    object.extend(self::object(fields));
    object
}

/// An assistant carrying vapiform's label for `key`.
pub(crate) fn labelled(id: &str, key: &str, fields: &Value) -> Map<String, Value> {
    let mut object = assistant(id, fields);
    object.insert("metadata".into(), json!({"vapiform": {"key": key}}));
    object
}

/// A telnyx number, routed to `assistant` if given.
pub(crate) fn number(id: &str, e164: &str, assistant: Option<&str>) -> Map<String, Value> {
    object(&json!({
        "id": id, "orgId": "o", "provider": "telnyx", "number": e164, "credentialId": CREDENTIAL,
        "status": "active", "assistantId": assistant, "createdAt": AT, "updatedAt": AT,
    }))
}

/// The object inside a JSON value.
pub(crate) fn object(value: &Value) -> Map<String, Value> {
    value.as_object().expect("a JSON object").clone()
}

/// Writes `account` as the workspace's sandbox account, `account.json`.
pub(crate) fn save(workspace: &Workspace, account: &Account) {
    workspace.write(
        "account.json",
        &serde_json::to_string_pretty(account).expect("accounts serialise"),
    );
}

/// The objects of one collection of a saved account (`phoneNumbers` or `assistants`).
pub(crate) fn objects<'a>(account: &'a Value, collection: &str) -> &'a Vec<Value> {
    account[collection]
        .as_array()
        .expect("the account lists the collection")
}

/// The object with this id in a saved account.
pub(crate) fn by_id<'a>(account: &'a Value, collection: &str, id: &str) -> &'a Value {
    objects(account, collection)
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("no {collection} object {id}"))
}

/// The changes of a JSON plan, as `(address, action)` pairs.
pub(crate) fn changes(plan: &Value) -> Vec<(String, String)> {
    plan["changes"]
        .as_array()
        .expect("a JSON plan")
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_owned(),
                c["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A labelled assistant whose greeting the file changes, and a labelled undeclared one that
/// prune deletes; nothing routes to either.
pub(crate) fn update_and_delete() -> (Account, String) {
    let account = Account {
        phone_numbers: vec![number(&uuid(2, 0), "+14155550100", None)],
        assistants: vec![
            labelled(
                &uuid(1, 0),
                "acme",
                &json!({"name": "Acme", "firstMessage": "Old"}),
            ),
            labelled(&uuid(1, 1), "gone", &json!({"name": "Gone"})),
        ],
        ..Account::default()
    };
    let file = "version: 1\nprune: true\nassistants:\n  acme: {name: Acme, firstMessage: New}\n";
    (account, file.to_owned())
}
