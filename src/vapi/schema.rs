//! Vapi's own request DTOs and response shapes, as a validator that answers in
//! class-validator's words: what passes here passes at Vapi.
//!
//! The schemas are `schemas/vapi/dtos.json`, extracted by `scripts/vapi-schema.py` from Vapi's
//! published `OpenAPI` description (vendored in `vendor/vapi-openapi/`). They are compiled once
//! into an arena of nodes whose `$ref`s are indexes, so checking a body walks the body once and
//! never looks a schema up by name.
//!
//! Vapi validates with `NestJS`'s class-validator (`whitelist` + `forbidNonWhitelisted`), so in a
//! request body every property an object schema does not declare is refused, the read-only
//! ones (`id`, `orgId`, `createdAt`, ...) included: they are simply not in the DTO.
//! Response shapes are checked as strictly, so an object the simulator serves holds nothing
//! Vapi's response schema lacks.
//!
//! A `oneOf` whose branches are objects that each fix one property to their own values (a
//! `voice` by `provider`, a hook by `on`, a hook action by `type`) is a discriminated union:
//! the value picks its branch and only that branch's problems are reported, or
//! "provider must be one of the following values: ..." when it picks none.
//!
//! Quirks of Vapi's file, handled here rather than by editing the data (each has a test):
//! - `nullable` is rarely set, yet Vapi documents `"assistantId": null` and `"squadId": null` in
//!   a phone-number PATCH to unlink a number: accepted there (and in the phone number it leaves
//!   behind), refused everywhere `nullable` is not set.
//! - Some `oneOf`s overlap (a Deepgram `model` is `enum | string`): every `oneOf` is an `anyOf`.
//! - `BackoffPlan.type` (and `TransferPlan.sipVerb`) are `type: object` with a string `enum`:
//!   the strings are accepted.
//! - `PhoneNumberCallEndingHookFilter.oneOf` (and other arrays) put an `enum` on the array:
//!   it constrains each item.
//! - `PhoneNumberCallRingingHookFilter.startsWith` puts `maxLength` on an array: it limits the
//!   number of items.
//!
//! A body checked offline ([`check_pending`]) may hold strings that are only final later (an
//! `${env.NAME}` resolved when the request is sent, a `${business.name}` in a template filled
//! for each business): such a pending string stands for any text its field accepts, so it is
//! refused only where no text is (a number, a boolean, an object), and each is handed back as a
//! [`Slot`] to judge its final text against its own field once known, without walking the body
//! again.
//!
//! Not checked: `pattern` (JavaScript regular expressions, on tool and keyword names vapiform
//! never writes).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use serde_json::{Map, Value};

/// The extracted schemas, embedded so the binary needs no file at run time.
const DTOS: &str = include_str!("../../schemas/vapi/dtos.json");

/// The schemas, compiled on first use.
static SCHEMAS: LazyLock<Schemas> = LazyLock::new(|| {
    let file: Value = serde_json::from_str(DTOS).expect("schemas/vapi/dtos.json is JSON");
    Schemas::compile(
        file["schemas"]
            .as_object()
            .expect("schemas/vapi/dtos.json has schemas"),
    )
});

/// A phone number's provider: each has its own create and update DTO and response shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneProvider {
    /// `byo-phone-number`: a number on the customer's own SIP trunk.
    Byo,
    /// `twilio`.
    Twilio,
    /// `vonage`.
    Vonage,
    /// `vapi`: a free Vapi number or SIP URI.
    Vapi,
    /// `telnyx`.
    Telnyx,
}

impl PhoneProvider {
    /// Every provider, in the order Vapi lists them.
    pub const ALL: [Self; 5] = [
        Self::Byo,
        Self::Twilio,
        Self::Vonage,
        Self::Vapi,
        Self::Telnyx,
    ];

    /// The provider a body's `provider` names, if any.
    pub fn from_wire(provider: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|known| known.wire() == provider)
    }

    /// The `provider` value on the wire.
    pub fn wire(self) -> &'static str {
        match self {
            Self::Byo => "byo-phone-number",
            Self::Twilio => "twilio",
            Self::Vonage => "vonage",
            Self::Vapi => "vapi",
            Self::Telnyx => "telnyx",
        }
    }
}

/// A shape a JSON body can be checked against: a request DTO, or an object as Vapi answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dto {
    /// The body of `POST /assistant`.
    CreateAssistant,
    /// The body of `PATCH /assistant/{id}`.
    UpdateAssistant,
    /// The body of `POST /phone-number` for a provider.
    CreatePhoneNumber(PhoneProvider),
    /// The body of `PATCH /phone-number/{id}` for the stored number's provider.
    UpdatePhoneNumber(PhoneProvider),
    /// An assistant as Vapi answers it.
    Assistant,
    /// A phone number as Vapi answers it.
    PhoneNumber(PhoneProvider),
    /// A squad as Vapi answers it.
    Squad,
    /// The body of `POST /chat`.
    CreateChat,
    /// A chat as Vapi answers it.
    Chat,
}

impl Dto {
    /// The schema's name in Vapi's file, e.g. `CreateAssistantDTO`.
    pub fn schema_name(self) -> &'static str {
        use PhoneProvider::{Byo, Telnyx, Twilio, Vapi, Vonage};
        match self {
            Self::CreateAssistant => "CreateAssistantDTO",
            Self::UpdateAssistant => "UpdateAssistantDTO",
            Self::Assistant => "Assistant",
            Self::Squad => "Squad",
            Self::CreateChat => "CreateChatDTO",
            Self::Chat => "Chat",
            Self::CreatePhoneNumber(Byo) => "CreateByoPhoneNumberDTO",
            Self::CreatePhoneNumber(Twilio) => "CreateTwilioPhoneNumberDTO",
            Self::CreatePhoneNumber(Vonage) => "CreateVonagePhoneNumberDTO",
            Self::CreatePhoneNumber(Vapi) => "CreateVapiPhoneNumberDTO",
            Self::CreatePhoneNumber(Telnyx) => "CreateTelnyxPhoneNumberDTO",
            Self::UpdatePhoneNumber(Byo) => "UpdateByoPhoneNumberDTO",
            Self::UpdatePhoneNumber(Twilio) => "UpdateTwilioPhoneNumberDTO",
            Self::UpdatePhoneNumber(Vonage) => "UpdateVonagePhoneNumberDTO",
            Self::UpdatePhoneNumber(Vapi) => "UpdateVapiPhoneNumberDTO",
            Self::UpdatePhoneNumber(Telnyx) => "UpdateTelnyxPhoneNumberDTO",
            Self::PhoneNumber(Byo) => "ByoPhoneNumber",
            Self::PhoneNumber(Twilio) => "TwilioPhoneNumber",
            Self::PhoneNumber(Vonage) => "VonagePhoneNumber",
            Self::PhoneNumber(Vapi) => "VapiPhoneNumber",
            Self::PhoneNumber(Telnyx) => "TelnyxPhoneNumber",
        }
    }

    /// Whether top-level `assistantId` and `squadId` may be `null`: documented for the
    /// phone-number PATCH, and what such a PATCH leaves in the number Vapi answers.
    fn unlinks(self) -> bool {
        matches!(self, Self::UpdatePhoneNumber(_) | Self::PhoneNumber(_))
    }
}

/// The top-level fields a phone-number PATCH may set to `null`, as Vapi's docs show.
const UNLINKING: [&str; 2] = ["assistantId", "squadId"];

/// One reason a body would be refused: where, and class-validator's words for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the body, e.g. `voice.provider` or `hooks[0].do[0].exact`; empty for the body.
    pub path: String,
    /// The message naming the property it is about, e.g. `property foo should not exist` or
    /// `maxDurationSeconds must not be less than 10`.
    pub message: String,
    /// The line `NestJS` puts in a 400's `message` array (see [`Violation::nest_message`]).
    nest: String,
}

impl Violation {
    /// The line `NestJS`'s `ValidationPipe` puts in a 400's `message` array: the message behind
    /// the dotted path of the object holding the property, e.g.
    /// `hooks.0.do.0.exact must be shorter than or equal to 4000 characters`.
    pub fn nest_message(&self) -> &str {
        &self.nest
    }
}

/// Every reason Vapi would refuse `body` as `dto` (empty when it would accept it), in body
/// order, without repeats.
pub fn check(dto: Dto, body: &Value) -> Vec<Violation> {
    check_pending(dto, body, &|_| false).violations
}

/// What [`check_pending`] found: the violations that hold whatever the pending strings become,
/// and where each pending string is.
#[derive(Debug)]
pub struct Checked<'v> {
    /// Every reason Vapi would refuse the body, in body order, without repeats.
    pub violations: Vec<Violation>,
    /// Each pending string the body holds, with the field that judges it.
    pub slots: Vec<Slot<'v>>,
    /// Whether the slots judge every pending string: `false` when one picks a union's branch
    /// (a `voice.provider` still to be filled), which leaves that object unchecked until the
    /// whole body is final.
    pub complete: bool,
}

/// A pending string of a checked body and the field it is in.
#[derive(Debug, Clone)]
pub struct Slot<'v> {
    /// The string as the body holds it.
    pub text: &'v str,
    /// Where in the body, written as [`Violation::path`].
    pub path: String,
    node: Id,
    steps: Vec<OwnedStep>,
    constrained: bool,
    /// The most UTF-16 units the field takes, when that is its only limit.
    longest: Option<usize>,
}

impl Slot<'_> {
    /// Whether the field limits its text at all (an `enum`, a length, a format): a slot that
    /// does not accepts any text, and [`Slot::check`] finds nothing there.
    pub fn constrains(&self) -> bool {
        self.constrained
    }

    /// The most UTF-16 units the field takes, when a largest length is all it limits: a text
    /// of at most that many bytes needs no [`Slot::check`] (a character is never more UTF-16
    /// units than UTF-8 bytes), so a caller can skip filling it in.
    pub fn longest(&self) -> Option<usize> {
        self.longest
    }

    /// Every reason Vapi would refuse `text` in this slot's place; strings `pending` recognises
    /// are judged as in [`check_pending`].
    pub fn check(&self, text: &str, pending: &dyn Fn(&str) -> bool) -> Vec<Violation> {
        if !self.constrained {
            return Vec::new();
        }
        let value = Value::String(text.to_owned());
        let schemas: &'static Schemas = &SCHEMAS;
        let mut walk = Walk::new(&schemas.nodes, false, pending);
        walk.path = self.steps.iter().map(OwnedStep::borrow).collect();
        walk.value(self.node, &value);
        walk.out
    }
}

/// As [`check`], for a body whose strings that `pending` recognises are not final yet: each
/// stands for any text its field accepts (a value of its `enum`, a URL, a length in bounds),
/// so it is refused only where the field takes no text, and is returned as a [`Slot`].
pub fn check_pending<'v>(dto: Dto, body: &'v Value, pending: &dyn Fn(&str) -> bool) -> Checked<'v> {
    let schemas: &'static Schemas = &SCHEMAS;
    let root = schemas.names[dto.schema_name()];
    let mut walk = Walk::new(&schemas.nodes, dto.unlinks(), pending);
    walk.value(root, body);
    let mut seen = std::collections::HashSet::new();
    Checked {
        violations: walk
            .out
            .into_iter()
            .filter(|violation| seen.insert((violation.path.clone(), violation.message.clone())))
            .collect(),
        slots: walk.slots,
        complete: walk.complete,
    }
}

/// A node's index in the arena.
type Id = usize;

/// The JSON types a schema can require.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    String,
    Number,
    Integer,
    Boolean,
    Object,
    Array,
}

impl Type {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "string" => Self::String,
            "number" => Self::Number,
            "integer" => Self::Integer,
            "boolean" => Self::Boolean,
            "object" => Self::Object,
            "array" => Self::Array,
            _ => return None,
        })
    }

    fn admits(self, value: &Value) -> bool {
        match (self, value) {
            (Self::String, Value::String(_))
            | (Self::Number, Value::Number(_))
            | (Self::Boolean, Value::Bool(_))
            | (Self::Object, Value::Object(_))
            | (Self::Array, Value::Array(_)) => true,
            (Self::Integer, Value::Number(number)) => {
                number.is_i64()
                    || number.is_u64()
                    || number.as_f64().is_some_and(|n| n.fract() == 0.0)
            }
            _ => false,
        }
    }

    /// class-validator's complaint, after the subject.
    fn complaint(self) -> &'static str {
        match self {
            Self::String => "must be a string",
            Self::Number => "must be a number conforming to the specified constraints",
            Self::Integer => "must be an integer number",
            Self::Boolean => "must be a boolean value",
            Self::Object => "must be an object",
            Self::Array => "must be an array",
        }
    }
}

/// The string formats worth checking (all cheap).
#[derive(Debug, Clone, Copy)]
enum Format {
    DateTime,
    Uri,
    Uuid,
}

impl Format {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "date-time" => Some(Self::DateTime),
            "uri" => Some(Self::Uri),
            "uuid" => Some(Self::Uuid),
            _ => None,
        }
    }

    fn admits(self, text: &str) -> bool {
        match self {
            Self::DateTime => {
                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                    .is_ok()
            }
            // class-validator's IsUrl does not even require a scheme; only the obviously
            // broken is refused.
            Self::Uri => !text.is_empty() && !text.contains(char::is_whitespace),
            Self::Uuid => uuid::Uuid::try_parse(text).is_ok(),
        }
    }

    fn complaint(self) -> &'static str {
        match self {
            Self::DateTime => "must be a valid ISO 8601 date string",
            Self::Uri => "must be a URL address",
            Self::Uuid => "must be a UUID",
        }
    }
}

/// One compiled schema; every sub-schema is an index into the arena.
#[derive(Debug, Default)]
struct Node {
    kind: Option<Type>,
    nullable: bool,
    choices: Option<Box<[Value]>>,
    /// An `enum` declared on an array: it constrains each item.
    each_choices: Option<Box<[Value]>>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    min_items: Option<usize>,
    max_items: Option<usize>,
    format: Option<Format>,
    /// Declared properties; `Some` makes every other property unknown (unless `additional`).
    properties: Option<HashMap<Box<str>, Id>>,
    required: Box<[Box<str>]>,
    additional: Option<Id>,
    items: Option<Id>,
    all_of: Box<[Id]>,
    union: Option<Union>,
}

/// A `oneOf`, checked as an `anyOf`, and its discriminating property when it has one.
#[derive(Debug)]
struct Union {
    branches: Box<[Id]>,
    tag: Option<Tag>,
}

/// A discriminator value and the branches it picks.
type Pick = (Box<str>, Box<[Id]>);

/// The property whose value picks a union's branches.
#[derive(Debug)]
struct Tag {
    property: Box<str>,
    /// Each value and the branches it picks, in the order the schema lists them (which is the
    /// order of the "must be one of" message).
    values: Box<[Pick]>,
}

/// The compiled schemas: the arena, and the index of every named schema.
struct Schemas {
    nodes: Vec<Node>,
    names: HashMap<String, Id>,
}

impl Schemas {
    fn compile(schemas: &Map<String, Value>) -> Self {
        // Every named schema gets its slot first, so a `$ref` (even a forward or recursive one)
        // compiles to an index.
        let names: HashMap<String, Id> = schemas
            .keys()
            .enumerate()
            .map(|(id, name)| (name.clone(), id))
            .collect();
        let mut compiler = Compiler {
            nodes: schemas.keys().map(|_| Node::default()).collect(),
            names: &names,
        };
        for (name, schema) in schemas {
            let node = compiler.node(schema);
            compiler.nodes[names[name]] = node;
        }
        compiler.discriminate();
        Self {
            nodes: compiler.nodes,
            names,
        }
    }
}

struct Compiler<'a> {
    nodes: Vec<Node>,
    names: &'a HashMap<String, Id>,
}

impl Compiler<'_> {
    fn reference(&self, reference: &str) -> Id {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or(reference);
        *self
            .names
            .get(name)
            .unwrap_or_else(|| panic!("schemas/vapi/dtos.json lacks {name}"))
    }

    /// The index of a sub-schema: a bare `$ref` (or an `allOf` of one, Vapi's way of adding a
    /// description) is the named node itself.
    fn inline(&mut self, schema: &Value) -> Id {
        if let Some(object) = schema.as_object() {
            if let (Some(Value::String(target)), 1) = (object.get("$ref"), object.len()) {
                return self.reference(target);
            }
            if let (Some(Value::Array(all)), 1) = (object.get("allOf"), object.len())
                && let [single] = all.as_slice()
                && let Some(Value::String(target)) = single.get("$ref")
            {
                return self.reference(target);
            }
        }
        let node = self.node(schema);
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn node(&mut self, schema: &Value) -> Node {
        let Some(schema) = schema.as_object() else {
            return Node::default();
        };
        let number = |key: &str| schema.get(key).and_then(Value::as_f64);
        let size = |key: &str| {
            schema
                .get(key)
                .and_then(Value::as_u64)
                .and_then(|n| usize::try_from(n).ok())
        };
        let mut node = Node {
            kind: schema
                .get("type")
                .and_then(Value::as_str)
                .and_then(Type::parse),
            nullable: schema.get("nullable") == Some(&Value::Bool(true)),
            choices: schema
                .get("enum")
                .and_then(Value::as_array)
                .map(|values| values.clone().into_boxed_slice()),
            minimum: number("minimum"),
            maximum: number("maximum"),
            min_length: size("minLength"),
            max_length: size("maxLength"),
            min_items: size("minItems"),
            max_items: size("maxItems"),
            format: schema
                .get("format")
                .and_then(Value::as_str)
                .and_then(Format::parse),
            required: schema
                .get("required")
                .and_then(Value::as_array)
                .map(|names| {
                    names
                        .iter()
                        .filter_map(Value::as_str)
                        .map(Into::into)
                        .collect()
                })
                .unwrap_or_default(),
            ..Node::default()
        };
        if let Some(Value::Object(properties)) = schema.get("properties") {
            let properties = properties
                .iter()
                .map(|(name, property)| (name.as_str().into(), self.inline(property)))
                .collect();
            node.properties = Some(properties);
            node.kind.get_or_insert(Type::Object);
        }
        if let Some(additional @ Value::Object(_)) = schema.get("additionalProperties") {
            node.additional = Some(self.inline(additional));
        }
        if let Some(items) = schema.get("items") {
            node.items = Some(self.inline(items));
        }
        if let Some(Value::Array(all)) = schema.get("allOf") {
            node.all_of = all.iter().map(|member| self.inline(member)).collect();
        }
        let branches = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array);
        if let Some(branches) = branches {
            node.union = Some(Union {
                branches: branches.iter().map(|branch| self.inline(branch)).collect(),
                tag: self.explicit_tag(schema),
            });
        }
        Self::quirks(&mut node);
        node
    }

    /// Vapi's file says some things its server does not mean; see the module docs.
    fn quirks(node: &mut Node) {
        let all_strings = |values: &[Value]| values.iter().all(Value::is_string);
        // `BackoffPlan.type`: `type: object` with a string enum means a string.
        if node.kind == Some(Type::Object)
            && node.properties.is_none()
            && node.choices.as_deref().is_some_and(all_strings)
        {
            node.kind = Some(Type::String);
        }
        if node.kind == Some(Type::Array) {
            // `PhoneNumberCallEndingHookFilter.oneOf`: an enum on an array constrains each item.
            node.each_choices = node.choices.take();
            // `startsWith`: a length on an array is its number of items.
            node.min_items = node.min_items.or(node.min_length.take());
            node.max_items = node.max_items.or(node.max_length.take());
        }
    }

    /// A `discriminator` with a `mapping`, as written.
    fn explicit_tag(&self, schema: &Map<String, Value>) -> Option<Tag> {
        let discriminator = schema.get("discriminator")?;
        let property = discriminator.get("propertyName")?.as_str()?;
        let mapping = discriminator.get("mapping")?.as_object()?;
        let values = mapping
            .iter()
            .filter_map(|(value, target)| {
                let branch = self.reference(target.as_str()?);
                Some((value.as_str().into(), vec![branch].into_boxed_slice()))
            })
            .collect();
        Some(Tag {
            property: property.into(),
            values,
        })
    }

    /// Gives each union without an explicit discriminator the property every branch fixes to
    /// its own values (`provider`, `type`, `on`, ...), once every node exists.
    fn discriminate(&mut self) {
        for id in 0..self.nodes.len() {
            let Some(union) = &self.nodes[id].union else {
                continue;
            };
            if union.tag.is_some() {
                continue;
            }
            let tag = self.tag_of(&union.branches);
            self.nodes[id].union.as_mut().expect("checked").tag = tag;
        }
    }

    /// The property every branch declares with an `enum` of strings, preferring the usual
    /// discriminators; `None` when the branches are not all such objects.
    fn tag_of(&self, branches: &[Id]) -> Option<Tag> {
        if branches.len() < 2 {
            return None;
        }
        let fixed = |branch: Id, property: &str| -> Option<&[Value]> {
            let properties = self.nodes[branch].properties.as_ref()?;
            let choices = self.nodes[*properties.get(property)?].choices.as_deref()?;
            choices.iter().all(Value::is_string).then_some(choices)
        };
        let first = self.nodes[branches[0]].properties.as_ref()?;
        let mut candidates: Vec<&str> = first
            .keys()
            .map(AsRef::as_ref)
            .filter(|property| {
                branches
                    .iter()
                    .all(|&branch| fixed(branch, property).is_some())
            })
            .collect();
        candidates.sort_by_key(|property| {
            (
                ["provider", "type", "on"]
                    .iter()
                    .position(|usual| usual == property)
                    .unwrap_or(usize::MAX),
                *property,
            )
        });
        let property = *candidates.first()?;
        let mut values: Vec<(Box<str>, Vec<Id>)> = Vec::new();
        for &branch in branches {
            for value in fixed(branch, property).expect("a candidate") {
                let value = value.as_str().expect("strings only");
                match values.iter_mut().find(|(known, _)| &**known == value) {
                    Some((_, picked)) => picked.push(branch),
                    None => values.push((value.into(), vec![branch])),
                }
            }
        }
        Some(Tag {
            property: property.into(),
            values: values
                .into_iter()
                .map(|(value, picked)| (value, picked.into_boxed_slice()))
                .collect(),
        })
    }
}

/// A step of the path into the body.
#[derive(Debug, Clone, Copy)]
enum Step<'v> {
    Key(&'v str),
    Index(usize),
}

/// A [`Step`] kept beyond the walk, for a [`Slot`].
#[derive(Debug, Clone)]
enum OwnedStep {
    Key(Box<str>),
    Index(usize),
}

impl OwnedStep {
    fn of(step: Step<'_>) -> Self {
        match step {
            Step::Key(name) => Self::Key(name.into()),
            Step::Index(index) => Self::Index(index),
        }
    }

    fn borrow(&self) -> Step<'_> {
        match self {
            Self::Key(name) => Step::Key(name),
            Self::Index(index) => Step::Index(*index),
        }
    }
}

/// One check of one body: where it is, and what it found so far.
struct Walk<'v, 'p> {
    nodes: &'static [Node],
    unlinks: bool,
    path: Vec<Step<'v>>,
    out: Vec<Violation>,
    /// Which strings are not final yet.
    pending: &'p dyn Fn(&str) -> bool,
    /// Set while a pending string is walked: its content is not judged.
    opaque: bool,
    /// Whether the pending string being walked met a limit on its text.
    constrained: bool,
    /// The smallest `maxLength` the pending string being walked met, while no other limit.
    longest: Option<usize>,
    slots: Vec<Slot<'v>>,
    complete: bool,
}

impl<'v, 'p> Walk<'v, 'p> {
    fn new(nodes: &'static [Node], unlinks: bool, pending: &'p dyn Fn(&str) -> bool) -> Self {
        Walk {
            nodes,
            unlinks,
            path: Vec::new(),
            out: Vec::new(),
            pending,
            opaque: false,
            constrained: false,
            longest: None,
            slots: Vec::new(),
            complete: true,
        }
    }

    fn value(&mut self, id: Id, value: &'v Value) {
        let nodes = self.nodes;
        let node = &nodes[id];
        if value.is_null() && node.nullable {
            return;
        }
        if !self.opaque
            && let Value::String(text) = value
            && (self.pending)(text)
        {
            self.opaque = true;
            self.constrained = false;
            self.longest = Some(usize::MAX);
            self.value(id, value);
            self.opaque = false;
            self.slots.push(Slot {
                text,
                path: self.dotted(),
                node: id,
                steps: self.path.iter().copied().map(OwnedStep::of).collect(),
                constrained: self.constrained,
                longest: self.longest.filter(|_| self.constrained),
            });
            return;
        }
        for &member in &node.all_of {
            self.value(member, value);
        }
        if let Some(union) = &node.union {
            self.union(union, value);
        }
        if let Some(kind) = node.kind
            && !kind.admits(value)
        {
            self.complain(kind.complaint());
            return;
        }
        if self.opaque {
            // A pending string passes whatever its text must be; whether it must be anything
            // tells whether its slot needs judging.
            let other =
                node.choices.is_some() || node.min_length.is_some() || node.format.is_some();
            self.constrained |= other || node.max_length.is_some();
            self.longest = match (other, self.longest, node.max_length) {
                (true, ..) | (_, None, _) => None,
                (false, Some(longest), Some(max)) => Some(longest.min(max)),
                (false, longest, None) => longest,
            };
            return;
        }
        if let Some(choices) = &node.choices
            && !choices.contains(value)
        {
            self.complain(&one_of(choices));
            return;
        }
        match value {
            Value::String(text) => self.text(node, text),
            Value::Number(number) => self.number(node, number.as_f64().unwrap_or_default()),
            Value::Array(items) => self.array(node, items),
            Value::Object(object) => self.object(node, object),
            Value::Bool(_) | Value::Null => {}
        }
    }

    fn text(&mut self, node: &Node, text: &str) {
        if node.min_length.is_some() || node.max_length.is_some() {
            // class-validator measures JavaScript strings: UTF-16 code units.
            let length = text.encode_utf16().count();
            if let Some(max) = node.max_length
                && length > max
            {
                self.complain(&format!(
                    "must be shorter than or equal to {max} characters"
                ));
            }
            if let Some(min) = node.min_length
                && length < min
            {
                self.complain(&format!("must be longer than or equal to {min} characters"));
            }
        }
        if let Some(format) = node.format
            && !format.admits(text)
        {
            self.complain(format.complaint());
        }
    }

    fn number(&mut self, node: &Node, number: f64) {
        if let Some(minimum) = node.minimum
            && number < minimum
        {
            self.complain(&format!("must not be less than {minimum}"));
        }
        if let Some(maximum) = node.maximum
            && number > maximum
        {
            self.complain(&format!("must not be greater than {maximum}"));
        }
    }

    fn array(&mut self, node: &Node, items: &'v [Value]) {
        if let Some(min) = node.min_items
            && items.len() < min
        {
            self.complain(&format!("must contain at least {min} elements"));
        }
        if let Some(max) = node.max_items
            && items.len() > max
        {
            self.complain(&format!("must contain no more than {max} elements"));
        }
        for (index, item) in items.iter().enumerate() {
            self.path.push(Step::Index(index));
            let pending = item.as_str().is_some_and(|text| (self.pending)(text));
            if pending && node.each_choices.is_some() {
                // An item of an enum array has no node of its own to hand back as a slot.
                self.complete = false;
            } else if let Some(choices) = &node.each_choices
                && !choices.contains(item)
            {
                self.complain(&one_of(choices));
            } else if let Some(schema) = node.items {
                self.value(schema, item);
            }
            self.path.pop();
        }
    }

    fn object(&mut self, node: &'static Node, object: &'v Map<String, Value>) {
        let declared = |name: &str| node.properties.as_ref().and_then(|p| p.get(name)).copied();
        // class-validator's whitelist runs before the property validators: unknown properties
        // are named first.
        if node.properties.is_some() && node.additional.is_none() {
            for name in object.keys() {
                if declared(name).is_none() {
                    self.path.push(Step::Key(name));
                    self.report(format!("property {name} should not exist"));
                    self.path.pop();
                }
            }
        }
        let top = self.path.is_empty();
        for (name, value) in object {
            self.path.push(Step::Key(name));
            if top && self.unlinks && value.is_null() && UNLINKING.contains(&name.as_str()) {
                // Vapi documents these nulls; see the module docs.
            } else if let Some(property) = declared(name) {
                self.value(property, value);
            } else if let Some(additional) = node.additional {
                self.value(additional, value);
            }
            self.path.pop();
        }
        for name in &node.required {
            if !object.contains_key(&**name) {
                self.path.push(Step::Key(name));
                self.missing(declared(name));
                self.path.pop();
            }
        }
    }

    /// Reports a required property that is absent as class-validator does: its decorators run
    /// on `undefined`, so a string is both empty and not a string, anything else of the wrong
    /// type.
    fn missing(&mut self, property: Option<Id>) {
        match property.and_then(|id| self.nodes[id].kind) {
            Some(Type::String) => {
                self.complain("should not be empty");
                self.complain(Type::String.complaint());
            }
            Some(kind) => self.complain(kind.complaint()),
            None => self.complain("should not be empty"),
        }
    }

    fn union(&mut self, union: &'static Union, value: &'v Value) {
        let Some(tag) = &union.tag else {
            self.any_of(&union.branches, value);
            return;
        };
        let Value::Object(object) = value else {
            self.complain(Type::Object.complaint());
            return;
        };
        let wanted = object.get(&*tag.property).and_then(Value::as_str);
        if wanted.is_some_and(|wanted| (self.pending)(wanted)) {
            // The branch is not known until the string is final.
            self.complete = false;
            return;
        }
        let picked =
            wanted.and_then(|wanted| tag.values.iter().find(|(value, _)| &**value == wanted));
        if let Some((_, branches)) = picked {
            self.any_of(branches, value);
        } else {
            let values: Vec<&str> = tag.values.iter().map(|(value, _)| &**value).collect();
            self.path.push(Step::Key(&tag.property));
            self.complain(&format!(
                "must be one of the following values: {}",
                values.join(", ")
            ));
            self.path.pop();
        }
    }

    /// Passes if one branch passes; otherwise reports the branch with the fewest problems.
    fn any_of(&mut self, branches: &[Id], value: &'v Value) {
        if let [only] = branches {
            self.value(*only, value);
            return;
        }
        let mark = self.out.len();
        let slots = self.slots.len();
        let mut best: Option<(Vec<Violation>, Vec<Slot<'v>>)> = None;
        for &branch in branches {
            self.value(branch, value);
            if self.out.len() == mark {
                // The slots of the branches tried before were dropped with their problems.
                return;
            }
            let found = self.out.split_off(mark);
            let found_slots = self.slots.split_off(slots);
            if best
                .as_ref()
                .is_none_or(|(best, _)| found.len() < best.len())
            {
                best = Some((found, found_slots));
            }
        }
        let (found, found_slots) = best.unwrap_or_default();
        self.out.extend(found);
        self.slots.extend(found_slots);
    }

    /// Reports `complaint` about the value at the current path, naming it as class-validator
    /// does: `name must ...`, or `each value in name must ...` for an array's item.
    fn complain(&mut self, complaint: &str) {
        let named = self.path.iter().rev().find_map(|step| match step {
            Step::Key(name) => Some(*name),
            Step::Index(_) => None,
        });
        let subject = match (self.path.last(), named) {
            (Some(Step::Key(name)), _) => (*name).to_owned(),
            (Some(Step::Index(_)), Some(name)) => format!("each value in {name}"),
            _ => "body".to_owned(),
        };
        self.report(format!("{subject} {complaint}"));
    }

    /// The `NestJS` prefix of the current path: the dotted path of the object holding the last
    /// named step.
    fn prefix(&self) -> String {
        let named = self
            .path
            .iter()
            .rposition(|step| matches!(step, Step::Key(_)))
            .unwrap_or(0);
        let mut prefix = String::new();
        for step in &self.path[..named] {
            if !prefix.is_empty() {
                prefix.push('.');
            }
            match step {
                Step::Key(name) => prefix.push_str(name),
                Step::Index(index) => {
                    let _ = write!(prefix, "{index}");
                }
            }
        }
        prefix
    }

    /// The current path as [`Violation::path`] writes it.
    fn dotted(&self) -> String {
        let mut path = String::new();
        for step in &self.path {
            match step {
                Step::Key(name) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(name);
                }
                Step::Index(index) => {
                    let _ = write!(path, "[{index}]");
                }
            }
        }
        path
    }

    /// Records `message` (which names its property) at the current path.
    fn report(&mut self, message: String) {
        let path = self.dotted();
        let prefix = self.prefix();
        let nest = if prefix.is_empty() {
            message.clone()
        } else {
            format!("{prefix}.{message}")
        };
        self.out.push(Violation {
            path,
            message,
            nest,
        });
    }
}

/// class-validator's `IsEnum`/`IsIn` complaint.
fn one_of(choices: &[Value]) -> String {
    let values: Vec<String> = choices
        .iter()
        .map(|choice| match choice {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect();
    format!("must be one of the following values: {}", values.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use PhoneProvider::{Telnyx, Vapi};

    /// The `NestJS` lines for `body` as `dto`.
    fn lines(dto: Dto, body: &Value) -> Vec<String> {
        check(dto, body)
            .iter()
            .map(|violation| violation.nest_message().to_owned())
            .collect()
    }

    /// A realistic assistant body, about 5 KB, as vapiform expands one.
    fn assistant() -> Value {
        let prompt = "You answer the phone for Acme Dental. Be brief and kind. ".repeat(60);
        json!({
            "name": "acme-dental-front-desk",
            "firstMessage": "Thanks for calling Acme Dental, how can I help?",
            "firstMessageMode": "assistant-speaks-first",
            "maxDurationSeconds": 600,
            "endCallMessage": "Goodbye!",
            "endCallPhrases": ["goodbye", "bye now"],
            "metadata": {"vapiform": {"key": "acme-dental"}, "team": "front-desk"},
            "model": {
                "provider": "openai",
                "model": "gpt-4o-mini",
                "temperature": 0.3,
                "maxTokens": 250,
                "messages": [{"role": "system", "content": prompt}],
            },
            "voice": {"provider": "vapi", "voiceId": "Elliot"},
            "transcriber": {"provider": "deepgram", "model": "nova-2", "language": "en"},
            "server": {"url": "https://hooks.example.com/vapi", "timeoutSeconds": 20},
            "serverMessages": ["end-of-call-report", "status-update"],
            "firstMessageInterruptionsEnabled": false,
            "backgroundSound": "office",
        })
    }

    #[test]
    fn a_realistic_assistant_and_phone_number_pass() {
        let body = assistant();
        assert!(serde_json::to_string(&body).unwrap().len() > 4000);
        assert_eq!(lines(Dto::CreateAssistant, &body), Vec::<String>::new());
        assert_eq!(lines(Dto::UpdateAssistant, &body), Vec::<String>::new());
        let phone = json!({
            "provider": "telnyx", "number": "+14155550123", "credentialId": "c1",
            "name": "front desk", "assistantId": "a1",
            "server": {"url": "https://hooks.example.com/vapi", "timeoutSeconds": 20},
            "fallbackDestination": {"type": "number", "number": "+14155550199", "message": "One moment"},
            "hooks": [
                {"on": "call.ringing", "filters": [{"type": "startsWith", "key": "number", "startsWith": ["1415"]}],
                 "do": [{"type": "say", "exact": "Closed today."}, {"type": "transfer",
                         "destination": {"type": "sip", "sipUri": "sip:desk@pbx.example.com"}}]},
            ],
        });
        assert_eq!(
            lines(Dto::CreatePhoneNumber(Telnyx), &phone),
            Vec::<String>::new()
        );
        assert_eq!(
            lines(Dto::UpdatePhoneNumber(Telnyx), &phone),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_pending_string_stands_for_any_text_its_field_takes() {
        let pending = |text: &str| text.contains("${");
        let body = json!({
            "name": "${business.name}",
            "firstMessageMode": "${env.MODE}",
            "server": {"url": "${env.HOOK_URL}", "headers": {"authorization": "Bearer ${env.T}"}},
            "maxDurationSeconds": "${env.SECONDS}",
        });
        let checked = check_pending(Dto::CreateAssistant, &body, &pending);
        let found: Vec<&str> = checked
            .violations
            .iter()
            .map(Violation::nest_message)
            .collect();
        assert_eq!(
            found,
            ["maxDurationSeconds must be a number conforming to the specified constraints"]
        );
        assert!(checked.complete);
        let paths: Vec<&str> = checked
            .slots
            .iter()
            .map(|slot| slot.path.as_str())
            .collect();
        assert_eq!(
            paths,
            [
                "name",
                "firstMessageMode",
                "server.url",
                "maxDurationSeconds"
            ]
        );
        // Only a field that limits its text needs the final text; a free-form object (the
        // headers) holds no slot at all.
        assert!(checked.slots[0].constrains());
        assert!(!checked.slots[3].constrains());
        assert!(
            checked.slots[3]
                .check(&"x".repeat(5000), &pending)
                .is_empty()
        );
        // A slot judges the final text in its own place.
        let name = &checked.slots[0];
        assert_eq!(name.text, "${business.name}");
        assert!(name.check("Acme", &pending).is_empty());
        let long = name.check(&"n".repeat(41), &pending);
        assert_eq!(long.len(), 1);
        assert_eq!(long[0].path, "name");
        assert_eq!(
            long[0].message,
            "name must be shorter than or equal to 40 characters"
        );
        let mode = checked.slots[1].check("bogus", &pending);
        assert!(
            mode[0]
                .message
                .starts_with("firstMessageMode must be one of")
        );
        assert!(check(Dto::CreateAssistant, &body).len() > 1);
    }

    #[test]
    fn a_pending_discriminator_leaves_its_object_to_the_final_body() {
        let body = json!({"voice": {"provider": "${vars.voice}", "voiceId": "x", "bogus": 1}});
        let checked = check_pending(Dto::CreateAssistant, &body, &|t| t.contains("${"));
        assert!(checked.violations.is_empty(), "{:?}", checked.violations);
        assert!(!checked.complete);
    }

    #[test]
    fn unknown_and_read_only_properties_should_not_exist() {
        let body = json!({
            "name": "x", "colour": "blue", "latestVersion": "v1", "isServerUrlSecretSet": true,
            "workflowIds": [], "serverUrl": "https://x.example.com", "endCallFunctionEnabled": true,
            "id": "a1", "createdAt": "2026-01-01T00:00:00.000Z",
        });
        let expected = [
            "property colour should not exist",
            "property latestVersion should not exist",
            "property isServerUrlSecretSet should not exist",
            "property workflowIds should not exist",
            "property serverUrl should not exist",
            "property endCallFunctionEnabled should not exist",
            "property id should not exist",
            "property createdAt should not exist",
        ];
        for dto in [Dto::CreateAssistant, Dto::UpdateAssistant] {
            assert_eq!(lines(dto, &body), expected);
        }
        let violation = &check(Dto::CreateAssistant, &body)[0];
        assert_eq!(violation.path, "colour");
        assert_eq!(violation.message, "property colour should not exist");
    }

    #[test]
    fn enums_and_bounds_speak_class_validator() {
        let body = json!({
            "firstMessageMode": "bogus", "maxDurationSeconds": 5, "name": "n".repeat(41),
            "firstMessageInterruptionsEnabled": "no",
        });
        assert_eq!(
            lines(Dto::CreateAssistant, &body),
            [
                "firstMessageMode must be one of the following values: assistant-speaks-first, assistant-speaks-first-with-model-generated-message, assistant-waits-for-user",
                "maxDurationSeconds must not be less than 10",
                "name must be shorter than or equal to 40 characters",
                "firstMessageInterruptionsEnabled must be a boolean value",
            ]
        );
        // Lengths are JavaScript's: 40 `é` are 40 UTF-16 units.
        assert!(check(Dto::CreateAssistant, &json!({"name": "é".repeat(40)})).is_empty());
    }

    #[test]
    fn a_voice_is_checked_by_its_providers_dto() {
        let ssml =
            json!({"voice": {"provider": "vapi", "voiceId": "Elliot", "enableSsmlParsing": true}});
        let found = check(Dto::CreateAssistant, &ssml);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].path, "voice.enableSsmlParsing");
        assert_eq!(
            found[0].message,
            "property enableSsmlParsing should not exist"
        );
        assert_eq!(
            found[0].nest_message(),
            "voice.property enableSsmlParsing should not exist"
        );
        // The same property is fine on a voice that has it.
        let eleven_labs =
            json!({"voice": {"provider": "11labs", "voiceId": "burt", "enableSsmlParsing": true}});
        assert_eq!(
            lines(Dto::CreateAssistant, &eleven_labs),
            Vec::<String>::new()
        );
        let unknown = lines(
            Dto::CreateAssistant,
            &json!({"voice": {"provider": "elevenlabs"}}),
        );
        assert_eq!(unknown.len(), 1);
        assert!(
            unknown[0].starts_with(
                "voice.provider must be one of the following values: azure, cartesia, custom-voice"
            ),
            "{unknown:?}"
        );
        assert_eq!(
            lines(Dto::CreateAssistant, &json!({"voice": "Elliot"})),
            ["voice must be an object"]
        );
    }

    #[test]
    fn phone_settings_server_is_vapis_server_dto() {
        let body = json!({"server": {"url": "https://x.example.com", "secret": "s", "timeoutSeconds": 999}});
        assert_eq!(
            lines(Dto::UpdatePhoneNumber(Telnyx), &body),
            [
                "server.property secret should not exist",
                "server.timeoutSeconds must not be greater than 300",
            ]
        );
    }

    #[test]
    fn hooks_are_checked_by_event_and_action() {
        let prefix = "1".repeat(21);
        let body = json!({"hooks": [
            {"on": "call.ringing", "filters": [{"type": "startsWith", "key": "number", "startsWith": [prefix]}],
             "do": [{"type": "say", "exact": "x".repeat(4001)}]},
            {"on": "call.ending"},
            {"on": "call.answered", "do": []},
            {"on": "call.ringing", "do": [{"type": "dial"}, {"type": "say"}]},
        ]});
        let found = check(Dto::UpdatePhoneNumber(Telnyx), &body);
        let pairs: Vec<(&str, &str)> = found
            .iter()
            .map(|violation| (violation.path.as_str(), violation.nest_message()))
            .collect();
        assert_eq!(
            pairs,
            [
                (
                    "hooks[0].filters[0].startsWith[0]",
                    "hooks.0.filters.0.each value in startsWith must be shorter than or equal to 20 characters"
                ),
                (
                    "hooks[0].do[0].exact",
                    "hooks.0.do.0.exact must be shorter than or equal to 4000 characters"
                ),
                (
                    "hooks[2].on",
                    "hooks.2.on must be one of the following values: call.ringing, call.ending"
                ),
                (
                    "hooks[3].do[0].type",
                    "hooks.3.do.0.type must be one of the following values: transfer, say"
                ),
                (
                    "hooks[3].do[1].exact",
                    "hooks.3.do.1.exact should not be empty"
                ),
                (
                    "hooks[3].do[1].exact",
                    "hooks.3.do.1.exact must be a string"
                ),
            ]
        );
    }

    #[test]
    fn quirk_starts_with_max_length_counts_prefixes() {
        let prefixes: Vec<String> = (0..21).map(|n| format!("1{n}")).collect();
        let hook = |prefixes: &[String]| {
            json!({"hooks": [{"on": "call.ringing", "do": [],
                "filters": [{"type": "startsWith", "key": "number", "startsWith": prefixes}]}]})
        };
        assert_eq!(
            lines(Dto::UpdatePhoneNumber(Vapi), &hook(&prefixes)),
            ["hooks.0.filters.0.startsWith must contain no more than 20 elements"]
        );
        assert!(check(Dto::UpdatePhoneNumber(Vapi), &hook(&prefixes[..20])).is_empty());
    }

    #[test]
    fn quirk_ending_filter_enum_on_the_array_constrains_each_item() {
        let filter = |reasons: Value| {
            json!({"hooks": [{"on": "call.ending", "do": {"type": "transfer"},
                "filters": [{"type": "oneOf", "key": "call.endedReason", "oneOf": reasons}]}]})
        };
        let good = filter(json!([
            "assistant-request-failed",
            "assistant-request-returned-error"
        ]));
        assert!(check(Dto::UpdatePhoneNumber(Telnyx), &good).is_empty());
        let bad = lines(
            Dto::UpdatePhoneNumber(Telnyx),
            &filter(json!(["assistant-request-failed", "customer-ended-call"])),
        );
        assert_eq!(bad.len(), 1);
        assert!(
            bad[0].starts_with("hooks.0.filters.0.each value in oneOf must be one of the following values: assistant-request-failed,"),
            "{bad:?}"
        );
    }

    #[test]
    fn quirk_backoff_plan_type_is_a_string() {
        let plan = |kind: &str| {
            json!({"server": {"url": "https://x.example.com",
                "backoffPlan": {"type": kind, "maxRetries": 2, "baseDelaySeconds": 1}}})
        };
        assert!(check(Dto::UpdatePhoneNumber(Telnyx), &plan("exponential")).is_empty());
        assert_eq!(
            lines(Dto::UpdatePhoneNumber(Telnyx), &plan("linear")),
            ["server.backoffPlan.type must be one of the following values: fixed, exponential"]
        );
    }

    #[test]
    fn quirk_overlapping_one_of_is_any_of() {
        // A Deepgram model is one of the listed models or any string: both branches match.
        for model in ["nova-2", "my-fine-tuned-model"] {
            let body = json!({"transcriber": {"provider": "deepgram", "model": model}});
            assert_eq!(
                lines(Dto::CreateAssistant, &body),
                Vec::<String>::new(),
                "{model}"
            );
        }
        // A branch that fails reports only the best one's problems.
        assert_eq!(
            lines(
                Dto::CreateAssistant,
                &json!({"transcriber": {"provider": "deepgram", "model": 2}})
            ),
            ["transcriber.model must be a string"]
        );
    }

    #[test]
    fn quirk_null_unlinks_only_in_a_phone_number_patch() {
        let unlink = json!({"assistantId": null, "squadId": null});
        assert!(check(Dto::UpdatePhoneNumber(Telnyx), &unlink).is_empty());
        assert!(check(Dto::PhoneNumber(Telnyx), &json!({
            "id": "5e1f7a2c-9b4d-4c8e-a6f3-0d2b8c7e1a94", "orgId": "o", "provider": "telnyx",
            "number": "+14155550123", "credentialId": "c", "assistantId": null,
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
        }))
        .is_empty());
        assert_eq!(
            lines(
                Dto::CreatePhoneNumber(Vapi),
                &json!({"provider": "vapi", "assistantId": null, "squadId": null})
            ),
            ["assistantId must be a string", "squadId must be a string"]
        );
        assert_eq!(
            lines(
                Dto::UpdatePhoneNumber(Telnyx),
                &json!({"name": null, "fallbackDestination": null, "workflowId": null})
            ),
            [
                "name must be a string",
                "fallbackDestination must be an object",
                "workflowId must be a string",
            ]
        );
        // Only at the top: a hook's nested fields get no such pass.
        assert_eq!(
            lines(Dto::UpdateAssistant, &json!({"name": null, "voice": null})),
            ["name must be a string", "voice must be an object"]
        );
    }

    #[test]
    fn required_fields_and_responses() {
        assert_eq!(
            lines(
                Dto::CreatePhoneNumber(Telnyx),
                &json!({"provider": "telnyx"})
            ),
            [
                "number should not be empty",
                "number must be a string",
                "credentialId should not be empty",
                "credentialId must be a string",
            ]
        );
        assert_eq!(
            lines(
                Dto::Assistant,
                &json!({"id": "x", "orgId": "o", "createdAt": "yesterday"})
            ),
            [
                "createdAt must be a valid ISO 8601 date string",
                "updatedAt should not be empty",
                "updatedAt must be a string",
            ]
        );
    }

    #[test]
    fn every_phone_provider_has_its_dtos() {
        for provider in PhoneProvider::ALL {
            assert_eq!(PhoneProvider::from_wire(provider.wire()), Some(provider));
            for dto in [
                Dto::CreatePhoneNumber(provider),
                Dto::UpdatePhoneNumber(provider),
                Dto::PhoneNumber(provider),
            ] {
                assert!(SCHEMAS.names.contains_key(dto.schema_name()), "{dto:?}");
            }
        }
        assert_eq!(PhoneProvider::from_wire("plivo"), None);
    }
}
