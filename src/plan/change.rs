//! One change to one object, and the operation it carries out: the request apply sends and
//! what must still hold before it is sent. Each kind of operation carries exactly its own
//! target, body and precondition, so an inconsistent change cannot be built; its address,
//! action and phase derive from it.
//!
//! The JSON plan (`format_version` 1) writes a change as its address, action, phase,
//! precondition and request side by side; reading one back checks that they go together.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::model::{Action, Address, FieldChange, Origin, Phase, Routing};
use crate::id::{AssistantId, Key, Label, NumberId, NumberKey, NumberName};

/// One change to one object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Change {
    /// What it does, to what.
    op: Operation,
    /// The object, derived from `op` once.
    address: Address,
    /// Why, in one line.
    pub reason: String,
    /// With `--baseline`: whether the baseline plans this change too (see [`Origin`]).
    pub origin: Option<Origin>,
    /// The id of the [`super::Group`] of changes it is shown with, if any.
    pub group: Option<String>,
    /// Field-level differences, for review. Sensitive values are masked.
    pub fields: Vec<FieldChange>,
    /// For numbers: where calls go now and where they will go.
    pub routing: Option<Routing>,
}

impl Change {
    /// The change that carries out `op`, shown with `reason`, `fields` and `routing`.
    pub(crate) fn new(
        op: Operation,
        reason: String,
        fields: Vec<FieldChange>,
        routing: Option<Routing>,
    ) -> Self {
        Self {
            address: op.address(),
            op,
            reason,
            origin: None,
            group: None,
            fields,
            routing,
        }
    }

    /// Shows its address with `mask` applied to the key or number (`--mask-numbers`): for
    /// display only, as what it writes is unchanged.
    pub(crate) fn mask_address(&mut self, mask: impl Fn(&str) -> String) {
        self.address = match &self.address {
            Address::Assistant(label) => Address::Assistant(Label::of(&mask(label))),
            Address::Duplicate { key, id } => Address::Duplicate {
                key: Label::of(&mask(key)),
                id: id.clone(),
            },
            Address::Number(number) => Address::Number(NumberName::of(&mask(number))),
        };
    }

    /// What it does, to what.
    pub(crate) fn op(&self) -> &Operation {
        &self.op
    }

    /// The object it is about.
    pub(crate) fn address(&self) -> &Address {
        &self.address
    }

    /// What happens to the object.
    pub(crate) fn action(&self) -> Action {
        self.op.action()
    }

    /// When apply runs it.
    pub(crate) fn phase(&self) -> Phase {
        self.op.phase()
    }

    /// Whether the change moves today's callers of a number elsewhere, which the mass-change
    /// rule counts: where its calls go changes (its route, a webhook, a fallback or a
    /// `call.ringing` hook), and they reached something before. Assigning a number that rings
    /// nobody, or only speaks the unassigned text, moves no caller.
    pub(crate) fn moves_callers(&self) -> bool {
        self.routing
            .as_ref()
            .is_some_and(|routing| routing.from.answers())
    }
}

/// What a change does to which object: the request apply sends, and what must still hold for
/// it to be sent. `${env.NAME}` references in a body stay unresolved until sent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operation {
    /// `POST /assistant`: the assistant labelled `key`, which no assistant carries yet.
    CreateAssistant {
        /// The key of the label the body carries.
        key: Key,
        /// The body.
        body: Map<String, Value>,
    },
    /// `PATCH /assistant/{id}` with whole owned subtrees: the assistant of `key`, labelled by
    /// this write when it adopts it.
    UpdateAssistant {
        /// The label key.
        key: Key,
        /// Whether the write labels an assistant that has no label yet.
        adopt: bool,
        /// The assistant, as planned.
        expect: Unchanged<AssistantId>,
        /// The body.
        body: Map<String, Value>,
    },
    /// `DELETE /assistant/{id}`: a labelled assistant no longer declared, or one of several
    /// copies of a label (`copy`, addressed `assistant/<key>@<id>`).
    DeleteAssistant {
        /// The label key.
        key: Label,
        /// Whether it is one copy of several carrying the label.
        copy: bool,
        /// The assistant, as planned.
        expect: Unchanged<AssistantId>,
        /// The ids of the numbers routed to it when planned: a number routed to it since
        /// makes the plan stale.
        routed_numbers: BTreeSet<NumberId>,
    },
    /// `POST /phone-number`: a listed number the account does not have.
    ImportNumber {
        /// The number, which the body carries as `number`.
        number: NumberKey,
        /// The body, without `assistantId`.
        body: Map<String, Value>,
        /// The assistant the number routes to, set as `assistantId` once known (a squad is in
        /// the body as `squadId`).
        route: Option<Target>,
    },
    /// `PATCH /phone-number/{id}`: a number's settings, route or both.
    UpdateNumber {
        /// The number (its E.164, or for a number without one, its SIP URI or id).
        number: NumberName,
        /// What the write does to where its calls go.
        edit: NumberEdit,
        /// The number, as planned.
        expect: Unchanged<NumberId>,
        /// The body, without `assistantId` unless it is cleared.
        body: Map<String, Value>,
        /// The assistant the number routes to, set as `assistantId` once known (a squad or
        /// workflow is in the body as `squadId` or `workflowId`).
        route: Option<Target>,
    },
}

/// What a number update does to where the number's calls go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberEdit {
    /// Nothing: only its settings, its say hook or a stray squad beside its route.
    Update,
    /// Routes a number that routes nowhere.
    Assign,
    /// Routes a number away from another assistant, squad or workflow.
    Reassign,
    /// Clears its routing.
    Unlink,
}

impl NumberEdit {
    /// The action it is shown as.
    pub(crate) fn action(self) -> Action {
        match self {
            Self::Update => Action::Update,
            Self::Assign => Action::Assign,
            Self::Reassign => Action::Reassign,
            Self::Unlink => Action::Unlink,
        }
    }

    /// The edit shown as `action`, if a number update can be.
    pub(crate) fn of(action: Action) -> Option<Self> {
        match action {
            Action::Update => Some(Self::Update),
            Action::Assign => Some(Self::Assign),
            Action::Reassign => Some(Self::Reassign),
            Action::Unlink => Some(Self::Unlink),
            Action::Create | Action::Adopt | Action::Import | Action::Delete => None,
        }
    }
}

/// The precondition of a write to an object that exists: it still does, and every field the
/// change read or will write is as planned. `I` is the kind of id the object has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unchanged<I> {
    /// The object's id: the one the request writes.
    pub id: I,
    /// Its `updatedAt` when planned (shown when it changed; not compared).
    pub updated_at: String,
    /// Field name to the sha256 of its live value when planned, for every field the change
    /// read or will write. Sensitive values are hashed as a fixed marker, so the plan file
    /// holds no hash of a secret.
    pub fields: BTreeMap<String, String>,
}

/// The assistant a number is routed to: known by id, or by the address of one being created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Target {
    /// An assistant that exists.
    Id(AssistantId),
    /// A managed assistant this plan creates.
    Address(Address),
}

impl Operation {
    /// The import of `number` with `body`, which then carries the number.
    pub(crate) fn import(
        number: &NumberKey,
        mut body: Map<String, Value>,
        route: Option<Target>,
    ) -> Self {
        body.insert("number".to_owned(), Value::from(number.as_str()));
        Self::ImportNumber {
            number: number.clone(),
            body,
            route,
        }
    }

    /// The object it writes.
    pub(crate) fn address(&self) -> Address {
        match self {
            Self::CreateAssistant { key, .. } | Self::UpdateAssistant { key, .. } => {
                Address::Assistant(key.clone().into())
            }
            Self::DeleteAssistant {
                key, copy, expect, ..
            } => {
                if *copy {
                    Address::Duplicate {
                        key: key.clone(),
                        id: expect.id.clone(),
                    }
                } else {
                    Address::Assistant(key.clone())
                }
            }
            Self::ImportNumber { number, .. } => Address::Number(number.clone().into()),
            Self::UpdateNumber { number, .. } => Address::Number(number.clone()),
        }
    }

    /// What it is shown as.
    pub(crate) fn action(&self) -> Action {
        match self {
            Self::CreateAssistant { .. } => Action::Create,
            Self::UpdateAssistant { adopt: true, .. } => Action::Adopt,
            Self::UpdateAssistant { adopt: false, .. } => Action::Update,
            Self::DeleteAssistant { .. } => Action::Delete,
            Self::ImportNumber { .. } => Action::Import,
            Self::UpdateNumber { edit, .. } => edit.action(),
        }
    }

    /// When apply runs it: assistants first, so routes have somewhere to go; deletes last,
    /// once nothing routes to them.
    pub(crate) fn phase(&self) -> Phase {
        match self {
            Self::CreateAssistant { .. } | Self::UpdateAssistant { .. } => Phase::Assistants,
            Self::DeleteAssistant { .. } => Phase::Deletes,
            Self::UpdateNumber {
                edit: NumberEdit::Unlink,
                ..
            } => Phase::Unlinks,
            Self::ImportNumber { .. } | Self::UpdateNumber { .. } => Phase::Routing,
        }
    }

    /// The request body, for writes that have one.
    pub(crate) fn body(&self) -> Option<&Map<String, Value>> {
        match self {
            Self::CreateAssistant { body, .. }
            | Self::UpdateAssistant { body, .. }
            | Self::ImportNumber { body, .. }
            | Self::UpdateNumber { body, .. } => Some(body),
            Self::DeleteAssistant { .. } => None,
        }
    }

    /// Where a number write routes the number, if it does.
    pub(crate) fn route(&self) -> Option<&Target> {
        match self {
            Self::ImportNumber { route, .. } | Self::UpdateNumber { route, .. } => route.as_ref(),
            _ => None,
        }
    }
}

// The JSON plan's form of a change: the operation as its address, action, phase,
// precondition and request side by side, read back only when they agree.

/// A change as the JSON plan writes it, borrowing the change when written; its field changes
/// are `F`, so the digest can write them without what only `--baseline` adds.
#[derive(Serialize, Deserialize)]
struct Record<'a, F = Cow<'a, [FieldChange]>> {
    address: Cow<'a, Address>,
    action: Action,
    phase: Phase,
    reason: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group: Option<Cow<'a, str>>,
    fields: F,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    routing: Option<Cow<'a, Routing>>,
    precondition: PreconditionRecord<'a>,
    write: WriteRecord<'a>,
}

/// What apply checks before writing.
#[derive(Serialize, Deserialize)]
#[serde(tag = "expect", rename_all = "snake_case")]
enum PreconditionRecord<'a> {
    /// No object with this label or number exists.
    Absent {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<Cow<'a, str>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        number: Option<Cow<'a, str>>,
    },
    /// The object still exists and is as planned.
    Unchanged {
        id: Cow<'a, str>,
        updated_at: Cow<'a, str>,
        fields: Cow<'a, BTreeMap<String, String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        routed_numbers: Option<Cow<'a, BTreeSet<NumberId>>>,
    },
}

/// The request apply sends.
#[derive(Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
enum WriteRecord<'a> {
    CreateAssistant {
        key: Cow<'a, str>,
        body: Cow<'a, Map<String, Value>>,
    },
    UpdateAssistant {
        id: Cow<'a, str>,
        body: Cow<'a, Map<String, Value>>,
    },
    DeleteAssistant {
        id: Cow<'a, str>,
    },
    CreateNumber {
        body: Cow<'a, Map<String, Value>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        route: Option<Cow<'a, Target>>,
    },
    UpdateNumber {
        id: Cow<'a, str>,
        body: Cow<'a, Map<String, Value>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        route: Option<Cow<'a, Target>>,
    },
}

impl<'a, I: Deref<Target = str>> From<&'a Unchanged<I>> for PreconditionRecord<'a> {
    fn from(expect: &'a Unchanged<I>) -> Self {
        Self::Unchanged {
            id: Cow::Borrowed(&*expect.id),
            updated_at: Cow::Borrowed(&expect.updated_at),
            fields: Cow::Borrowed(&expect.fields),
            routed_numbers: None,
        }
    }
}

impl Operation {
    /// Its precondition and request as the JSON plan writes them.
    fn records(&self) -> (PreconditionRecord<'_>, WriteRecord<'_>) {
        let body = Cow::Borrowed;
        match self {
            Self::CreateAssistant { key, body: sent } => (
                PreconditionRecord::Absent {
                    label: Some(Cow::Borrowed(key)),
                    number: None,
                },
                WriteRecord::CreateAssistant {
                    key: Cow::Borrowed(key),
                    body: body(sent),
                },
            ),
            Self::UpdateAssistant {
                expect, body: sent, ..
            } => (
                expect.into(),
                WriteRecord::UpdateAssistant {
                    id: Cow::Borrowed(expect.id.as_str()),
                    body: body(sent),
                },
            ),
            Self::DeleteAssistant {
                expect,
                routed_numbers,
                ..
            } => {
                let mut precondition = PreconditionRecord::from(expect);
                if let PreconditionRecord::Unchanged {
                    routed_numbers: r, ..
                } = &mut precondition
                {
                    *r = Some(Cow::Borrowed(routed_numbers));
                }
                (
                    precondition,
                    WriteRecord::DeleteAssistant {
                        id: Cow::Borrowed(expect.id.as_str()),
                    },
                )
            }
            Self::ImportNumber {
                number,
                body: sent,
                route,
            } => (
                PreconditionRecord::Absent {
                    label: None,
                    number: Some(Cow::Borrowed(number)),
                },
                WriteRecord::CreateNumber {
                    body: body(sent),
                    route: route.as_ref().map(Cow::Borrowed),
                },
            ),
            Self::UpdateNumber {
                expect,
                body: sent,
                route,
                ..
            } => (
                expect.into(),
                WriteRecord::UpdateNumber {
                    id: Cow::Borrowed(expect.id.as_str()),
                    body: body(sent),
                    route: route.as_ref().map(Cow::Borrowed),
                },
            ),
        }
    }

    /// The operation a JSON change describes, or why its parts do not go together.
    fn read(
        address: Address,
        action: Action,
        precondition: PreconditionRecord<'_>,
        write: WriteRecord<'_>,
    ) -> Result<Self, String> {
        let reading = Reading {
            action,
            request: write.request(),
        };
        match (address, write) {
            (Address::Assistant(key), WriteRecord::CreateAssistant { key: writes, body }) => {
                if writes != key.as_str() {
                    return Err(format!("it creates the assistant of `{writes}`"));
                }
                reading.absent(Action::Create, precondition, Some(&key), None)?;
                Ok(Self::CreateAssistant {
                    key: declared(&key)?,
                    body: body.into_owned(),
                })
            }
            (Address::Assistant(key), WriteRecord::UpdateAssistant { id, body }) => {
                let adopt = match action {
                    Action::Adopt => true,
                    Action::Update => false,
                    _ => return Err(reading.mismatch()),
                };
                let (expect, _) = reading.expect(precondition, &id, false)?;
                Ok(Self::UpdateAssistant {
                    key: declared(&key)?,
                    adopt,
                    expect,
                    body: body.into_owned(),
                })
            }
            (Address::Assistant(key), WriteRecord::DeleteAssistant { id }) => {
                reading.delete(key, false, &id, precondition)
            }
            (Address::Duplicate { key, id: named }, WriteRecord::DeleteAssistant { id }) => {
                if *named != *id {
                    return Err(format!("it writes assistant {id}, not {named}"));
                }
                reading.delete(key, true, &id, precondition)
            }
            (Address::Number(number), WriteRecord::CreateNumber { body, route }) => {
                let writes = body.get("number").and_then(Value::as_str);
                if writes != Some(number.as_str()) {
                    return Err(format!("it imports {}", writes.unwrap_or("no number")));
                }
                reading.absent(Action::Import, precondition, None, Some(&number))?;
                let NumberName::Key(number) = number else {
                    return Err(format!("it imports {number}, which is not a number"));
                };
                Ok(Self::ImportNumber {
                    number,
                    body: body.into_owned(),
                    route: route.map(Cow::into_owned),
                })
            }
            (Address::Number(number), WriteRecord::UpdateNumber { id, body, route }) => {
                let edit = NumberEdit::of(action).ok_or_else(|| reading.mismatch())?;
                let (expect, _) = reading.expect(precondition, &id, false)?;
                Ok(Self::UpdateNumber {
                    number,
                    edit,
                    expect,
                    body: body.into_owned(),
                    route: route.map(Cow::into_owned),
                })
            }
            (Address::Duplicate { .. }, _) => Err(format!(
                "a copy of a label is only ever deleted, and its request is {}",
                reading.request
            )),
            (Address::Assistant(_) | Address::Number(_), _) => Err(reading.mismatch()),
        }
    }
}

/// The key an assistant created or updated is declared under.
fn declared(key: &Label) -> Result<Key, String> {
    key.key().cloned().ok_or_else(|| {
        format!("`{key}` is not a key, and only a declared key is created or updated")
    })
}

/// A JSON change's action and request, while its operation is read back.
struct Reading {
    action: Action,
    request: &'static str,
}

impl Reading {
    /// The action and the request are of different kinds.
    fn mismatch(&self) -> String {
        format!(
            "its action ({}) and its request ({}) do not go together",
            self.action.as_str(),
            self.request
        )
    }

    /// The precondition is of another kind than the request's.
    fn unchecked(&self) -> String {
        format!("its precondition is not the one {} checks", self.request)
    }

    /// A create shown as `action`, checking that nothing carries `label` or has `number`.
    fn absent(
        &self,
        action: Action,
        precondition: PreconditionRecord<'_>,
        label: Option<&str>,
        number: Option<&str>,
    ) -> Result<(), String> {
        if self.action != action {
            return Err(self.mismatch());
        }
        match precondition {
            PreconditionRecord::Absent {
                label: absent,
                number: missing,
            } if absent.as_deref() == label && missing.as_deref() == number => Ok(()),
            _ => Err(self.unchecked()),
        }
    }

    /// The precondition of a write to the object `writes`, and for a delete (`deletes`) the
    /// numbers routed to it when planned.
    fn expect<I: From<String>>(
        &self,
        precondition: PreconditionRecord<'_>,
        writes: &str,
        deletes: bool,
    ) -> Result<(Unchanged<I>, BTreeSet<NumberId>), String> {
        match precondition {
            PreconditionRecord::Unchanged {
                id,
                updated_at,
                fields,
                routed_numbers,
            } if id == writes && routed_numbers.is_some() == deletes => Ok((
                Unchanged {
                    id: id.into_owned().into(),
                    updated_at: updated_at.into_owned(),
                    fields: fields.into_owned(),
                },
                routed_numbers.map(Cow::into_owned).unwrap_or_default(),
            )),
            PreconditionRecord::Unchanged { id, .. } if id != writes => Err(format!(
                "it writes {writes}, but checks another object before writing"
            )),
            _ => Err(self.unchecked()),
        }
    }

    /// The delete of the assistant `id` carrying the label `key`, one copy of several when
    /// `copy`.
    fn delete(
        &self,
        key: Label,
        copy: bool,
        id: &str,
        precondition: PreconditionRecord<'_>,
    ) -> Result<Operation, String> {
        if self.action != Action::Delete {
            return Err(self.mismatch());
        }
        let (expect, routed_numbers) = self.expect(precondition, id, true)?;
        Ok(Operation::DeleteAssistant {
            key,
            copy,
            expect,
            routed_numbers,
        })
    }
}

impl WriteRecord<'_> {
    fn request(&self) -> &'static str {
        match self {
            Self::CreateAssistant { .. } => "POST /assistant",
            Self::UpdateAssistant { .. } => "PATCH /assistant",
            Self::DeleteAssistant { .. } => "DELETE /assistant",
            Self::CreateNumber { .. } => "POST /phone-number",
            Self::UpdateNumber { .. } => "PATCH /phone-number",
        }
    }
}

impl Change {
    /// The change as the JSON plan writes it, its field changes as `fields`, with its origin
    /// when `origin`.
    fn record<F>(&self, fields: F, origin: bool) -> Record<'_, F> {
        let (precondition, write) = self.op.records();
        Record {
            address: Cow::Borrowed(&self.address),
            action: self.action(),
            phase: self.phase(),
            reason: Cow::Borrowed(&self.reason),
            origin: self.origin.filter(|_| origin),
            group: self.group.as_deref().map(Cow::Borrowed),
            fields,
            routing: self.routing.as_ref().map(Cow::Borrowed),
            precondition,
            write,
        }
    }

    /// What the change does and shows, without what only `--baseline` adds (its origin and
    /// its fields' origins): what a plan's digest covers of it.
    pub(crate) fn content(&self) -> impl Serialize + '_ {
        self.record(Unlabelled(&self.fields), false)
    }
}

impl Serialize for Change {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.record(Cow::Borrowed(&self.fields[..]), true)
            .serialize(serializer)
    }
}

/// Field changes written without their origins.
struct Unlabelled<'a>(&'a [FieldChange]);

impl Serialize for Unlabelled<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// A field change without its origin.
        #[derive(Serialize)]
        struct Content<'a> {
            path: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            before: Option<&'a Value>,
            #[serde(skip_serializing_if = "Option::is_none")]
            after: Option<&'a Value>,
        }
        serializer.collect_seq(self.0.iter().map(|field| Content {
            path: &field.path,
            before: field.before.as_ref(),
            after: field.after.as_ref(),
        }))
    }
}

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let record: Record<'_> = Record::deserialize(deserializer)?;
        let address = record.address.into_owned();
        let shown = address.to_string();
        let op = Operation::read(address, record.action, record.precondition, record.write)
            .map_err(|why| serde::de::Error::custom(format!("the change of {shown}: {why}")))?;
        if record.phase != op.phase() {
            return Err(serde::de::Error::custom(format!(
                "the change of {shown}: it runs in the {} phase, not {}",
                op.phase().as_str(),
                record.phase.as_str()
            )));
        }
        let mut change = Self::new(
            op,
            record.reason.into_owned(),
            record.fields.into_owned(),
            record.routing.map(Cow::into_owned),
        );
        change.origin = record.origin;
        change.group = record.group.map(Cow::into_owned);
        Ok(change)
    }
}

#[cfg(test)]
impl Change {
    /// A change that carries out `op`, with no reason, diff or routing line: for the tests of
    /// what runs plans.
    pub(crate) fn of(op: Operation) -> Self {
        Self::new(op, String::new(), Vec::new(), None)
    }

    /// The creation of the assistant labelled `key`, with an empty body.
    pub(crate) fn create(key: &str) -> Self {
        Self::of(Operation::CreateAssistant {
            key: key.into(),
            body: Map::new(),
        })
    }
}

#[cfg(test)]
impl<I: for<'a> From<&'a str>> Unchanged<I> {
    /// The object `id`, with nothing fingerprinted: for the tests of what runs plans.
    pub(crate) fn of(id: &str) -> Self {
        Self {
            id: id.into(),
            updated_at: String::new(),
            fields: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::compare::object;

    fn expect<I: for<'a> From<&'a str>>(id: &str) -> Unchanged<I> {
        Unchanged {
            id: id.into(),
            updated_at: "2026-01-01T00:00:00.000Z".to_owned(),
            fields: BTreeMap::from([("name".to_owned(), "ab12".to_owned())]),
        }
    }

    fn every_kind() -> Vec<Change> {
        let body = object(json!({"name": "Acme"}));
        let created = Target::Address(Address::Assistant("acme".into()));
        [
            Operation::CreateAssistant {
                key: "acme".into(),
                body: body.clone(),
            },
            Operation::UpdateAssistant {
                key: "bob".into(),
                adopt: true,
                expect: expect("b1"),
                body: body.clone(),
            },
            Operation::DeleteAssistant {
                key: "old".into(),
                copy: true,
                expect: expect("o2"),
                routed_numbers: BTreeSet::from(["n9".into()]),
            },
            Operation::import(&"+14155550100".into(), body.clone(), Some(created.clone())),
            Operation::UpdateNumber {
                number: "+14155550101".into(),
                edit: NumberEdit::Unlink,
                expect: expect("n1"),
                body,
                route: Some(Target::Id("a1".into())),
            },
        ]
        .into_iter()
        .map(|op| Change::new(op, "why".to_owned(), Vec::new(), None))
        .collect()
    }

    #[test]
    fn an_operation_gives_its_body_and_route() {
        let ops: Vec<Operation> = every_kind().into_iter().map(|c| c.op).collect();
        let bodies: Vec<bool> = ops.iter().map(|op| op.body().is_some()).collect();
        assert_eq!(bodies, [true, true, false, true, true]);
        assert_eq!(ops[0].body(), Some(&object(json!({"name": "Acme"}))));
        let routes: Vec<Option<&Target>> = ops.iter().map(Operation::route).collect();
        assert_eq!(
            routes,
            [
                None,
                None,
                None,
                Some(&Target::Address(Address::Assistant("acme".into()))),
                Some(&Target::Id("a1".into())),
            ]
        );
    }

    #[test]
    fn every_kind_of_change_reads_back_as_written() {
        let update = Change::of(Operation::UpdateAssistant {
            key: "carol".into(),
            adopt: false,
            expect: expect("c1"),
            body: object(json!({"firstMessage": "Hi"})),
        });
        for change in every_kind().into_iter().chain([update]) {
            let json = serde_json::to_value(&change).unwrap();
            let read: Change = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(read, change, "{json}");
        }
    }

    #[test]
    fn the_json_names_the_address_action_phase_precondition_and_request() {
        let kinds: Vec<Value> = every_kind()
            .iter()
            .map(|c| serde_json::to_value(c).unwrap())
            .collect();
        let [create, adopt, delete, import, unlink] = &kinds[..] else {
            panic!("five kinds");
        };
        assert_eq!(
            (&create["address"], &create["action"], &create["phase"]),
            (
                &json!("assistant/acme"),
                &json!("create"),
                &json!("assistants")
            )
        );
        assert_eq!(
            create["precondition"],
            json!({"expect": "absent", "label": "acme"})
        );
        assert_eq!(create["write"]["request"], json!("create_assistant"));
        assert_eq!(adopt["action"], json!("adopt"));
        assert_eq!(adopt["write"]["id"], json!("b1"));
        assert_eq!(adopt["precondition"]["id"], json!("b1"));
        assert_eq!(
            (&delete["address"], &delete["phase"]),
            (&json!("assistant/old@o2"), &json!("deletes"))
        );
        assert_eq!(delete["precondition"]["routed_numbers"], json!(["n9"]));
        assert_eq!(
            import["precondition"],
            json!({"expect": "absent", "number": "+14155550100"})
        );
        assert_eq!(import["write"]["body"]["number"], json!("+14155550100"));
        assert_eq!(
            import["write"]["route"],
            json!({"address": "assistant/acme"})
        );
        assert_eq!(
            (&unlink["action"], &unlink["phase"]),
            (&json!("unlink"), &json!("unlinks"))
        );
        assert!(unlink["precondition"].get("routed_numbers").is_none());
    }

    type Edit<'a> = &'a dyn Fn(&mut Value);

    #[test]
    fn a_change_whose_parts_do_not_go_together_is_not_read() {
        let kinds: Vec<Value> = every_kind()
            .iter()
            .map(|c| serde_json::to_value(c).unwrap())
            .collect();
        let refused = |n: usize, edit: &dyn Fn(&mut Value)| {
            let mut json = kinds[n].clone();
            edit(&mut json);
            serde_json::from_value::<Change>(json)
                .expect_err("refused")
                .to_string()
        };
        let cases: [(usize, Edit<'_>, &str); 10] = [
            (
                0,
                &|c| {
                    c["address"] = json!("assistant/Not a key");
                    c["write"]["key"] = json!("Not a key");
                    c["precondition"]["label"] = json!("Not a key");
                },
                "`Not a key` is not a key",
            ),
            (
                0,
                &|c| c["action"] = json!("delete"),
                "its action (delete) and its request (POST /assistant) do not go together",
            ),
            (
                0,
                &|c| c["precondition"]["label"] = json!("bob"),
                "its precondition is not the one POST /assistant checks",
            ),
            (
                1,
                &|c| c["precondition"]["id"] = json!("a9"),
                "it writes b1, but checks another object before writing",
            ),
            (
                1,
                &|c| c["precondition"] = json!({"expect": "absent", "label": "bob"}),
                "its precondition is not the one PATCH /assistant checks",
            ),
            (
                2,
                &|c| c["address"] = json!("assistant/old@o3"),
                "it writes assistant o2, not o3",
            ),
            (
                2,
                &|c| {
                    c["precondition"]
                        .as_object_mut()
                        .unwrap()
                        .remove("routed_numbers");
                },
                "its precondition is not the one DELETE /assistant checks",
            ),
            (
                3,
                &|c| c["write"]["body"]["number"] = json!("+19995550100"),
                "it imports +19995550100",
            ),
            (
                4,
                &|c| c["action"] = json!("adopt"),
                "its action (adopt) and its request (PATCH /phone-number) do not go together",
            ),
            (
                4,
                &|c| c["phase"] = json!("routing"),
                "it runs in the unlinks phase, not routing",
            ),
        ];
        for (n, edit, why) in cases {
            let error = refused(n, edit);
            assert!(error.contains(why), "{error}");
        }
    }
}
