//! The raw desired-state file as written, with its JSON Schema.
//!
//! These types mirror the YAML exactly and are never seen outside `desired/`: `validate` checks
//! each part of the document and deserializes it into them, and `expand` turns them into the
//! domain types.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

/// vapiform desired state: the phone numbers, businesses and assistants a Vapi account should
/// have. Placeholders `${business.key}`, `${business.name}`, `${vars.NAME}` and `${env.NAME}` may
/// appear in assistant bodies; `$${` is a literal `${`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "vapiform desired state")]
pub(crate) struct File {
    /// The file format version; always 1.
    #[schemars(range(min = 1, max = 1))]
    pub(crate) version: u32,
    /// What happens to numbers in the account that no business lists and `ignore` does not
    /// name: `leave` them (the default), `unlink` them, or route them to a shared assistant with
    /// `{assistant: <key>}`.
    #[serde(default)]
    pub(crate) unassigned: UnassignedSpec,
    /// Delete assistants that carry vapiform's label but are no longer declared.
    #[serde(default)]
    pub(crate) prune: bool,
    /// Body fields for `POST /phone-number`, used only to import a listed number that Vapi does
    /// not have yet, e.g. `{provider: telnyx, credentialId: ...}`.
    #[serde(default)]
    pub(crate) import: Option<ImportSpec>,
    /// Assistant bodies (any Vapi assistant fields) that businesses instantiate with
    /// `assistant: {template: NAME}`. Strings may use `${business.key}`, `${business.name}`,
    /// `${vars.NAME}` and `${env.NAME}`.
    #[serde(default)]
    pub(crate) templates: BTreeMap<String, Map<String, Value>>,
    /// Shared managed assistants, not tied to one business, by key. Strings may use only
    /// `${env.NAME}`.
    #[serde(default)]
    #[schemars(extend("propertyNames" = {"pattern": "^[a-z0-9][a-z0-9-]*$"}))]
    pub(crate) assistants: BTreeMap<String, Map<String, Value>>,
    /// Businesses by stable key (`[a-z0-9][a-z0-9-]*`, unique across businesses and
    /// assistants).
    #[serde(default)]
    #[schemars(extend("propertyNames" = {"pattern": "^[a-z0-9][a-z0-9-]*$"}))]
    pub(crate) businesses: BTreeMap<String, BusinessSpec>,
    /// Numbers vapiform never reads into the plan and never touches.
    #[serde(default)]
    pub(crate) ignore: IgnoreSpec,
}

/// The policy for numbers that no business lists.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum UnassignedSpec {
    /// `leave` or `unlink`.
    Mode(UnassignedMode),
    /// Route them to a shared assistant.
    Assistant(UnassignedAssistant),
}

impl Default for UnassignedSpec {
    fn default() -> Self {
        UnassignedSpec::Mode(UnassignedMode::Leave)
    }
}

/// `leave` or `unlink`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum UnassignedMode {
    /// Leave unassigned numbers as they are.
    Leave,
    /// Clear their `assistantId` (and squad and workflow).
    Unlink,
}

/// Route unassigned numbers to a shared assistant.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnassignedAssistant {
    /// The key of a shared assistant declared under `assistants`.
    pub(crate) assistant: String,
}

/// Body fields for importing a number; any `POST /phone-number` fields.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
pub(crate) struct ImportSpec {
    /// The telephony provider, e.g. `telnyx`, `twilio`, `vonage`.
    pub(crate) provider: String,
    /// Other fields, e.g. `credentialId`.
    #[serde(flatten)]
    pub(crate) rest: Map<String, Value>,
}

/// A business that owns phone numbers.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BusinessSpec {
    /// Display name, available to templates as `${business.name}`.
    pub(crate) name: String,
    /// Phone numbers in E.164 (`+14155550100`); spaces, dashes, dots and parentheses are
    /// ignored. Quote them: an unquoted `+1...` is read as a number.
    #[serde(default)]
    pub(crate) numbers: Vec<String>,
    /// Where the business's numbers route: exactly one of `template`, `spec`, `id` or `shared`.
    pub(crate) assistant: AssistantSpec,
}

/// The assistant a business's numbers route to.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum AssistantSpec {
    /// A managed assistant built from a template.
    Template(TemplateAssistant),
    /// A managed assistant whose body is written inline.
    Spec(SpecAssistant),
    /// An existing assistant that vapiform routes to but never edits.
    Existing(ExistingAssistant),
    /// A shared managed assistant declared under `assistants`.
    Shared(SharedAssistant),
}

/// A managed assistant built from a template.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplateAssistant {
    /// The template name, a key of `templates`.
    pub(crate) template: String,
    /// Values for `${vars.NAME}` in the template.
    #[serde(default)]
    pub(crate) vars: BTreeMap<String, VarValue>,
    /// Fields deep-merged over the template: objects merge key by key, anything else (lists,
    /// strings, numbers, `null`) replaces.
    #[serde(default)]
    pub(crate) overrides: Map<String, Value>,
    /// An existing assistant id to take over (label) instead of creating a new one.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub(crate) adopt: Option<String>,
}

/// A value for `${vars.NAME}`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum VarValue {
    /// Text.
    Text(String),
    /// A number, substituted as written.
    Number(serde_json::Number),
    /// `true` or `false`.
    Bool(bool),
}

impl VarValue {
    /// The text substituted for the placeholder.
    pub(crate) fn to_text(&self) -> String {
        match self {
            VarValue::Text(text) => text.clone(),
            VarValue::Number(number) => number.to_string(),
            VarValue::Bool(flag) => flag.to_string(),
        }
    }
}

/// A managed assistant whose body is written inline.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpecAssistant {
    /// The assistant body: any Vapi assistant fields. Placeholders work as in templates.
    pub(crate) spec: Map<String, Value>,
    /// An existing assistant id to take over (label) instead of creating a new one.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub(crate) adopt: Option<String>,
}

/// An existing assistant that vapiform routes to but never edits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExistingAssistant {
    /// The assistant id.
    #[schemars(length(min = 1))]
    pub(crate) id: String,
}

/// A shared managed assistant.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SharedAssistant {
    /// The key of a shared assistant declared under `assistants`.
    pub(crate) shared: String,
}

/// Numbers vapiform leaves alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct IgnoreSpec {
    /// Phone numbers in E.164; never read into the plan, never touched.
    #[serde(default)]
    pub(crate) numbers: Vec<String>,
}

/// The JSON Schema of the desired-state file, for editors (`yaml-language-server`) and the
/// `schema` command.
pub fn schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<File>();
    schema.to_value()
}

#[cfg(test)]
mod tests {
    use super::schema;

    #[test]
    fn schema_is_committed() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/vapiform.schema.json");
        let generated = serde_json::to_string_pretty(&schema()).unwrap() + "\n";
        if std::env::var_os("VAPIFORM_UPDATE_SCHEMA").is_some_and(|v| v == "1") {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, generated).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "schemas/vapiform.schema.json is out of date; run `VAPIFORM_UPDATE_SCHEMA=1 cargo test schema_is_committed`"
        );
    }
}
