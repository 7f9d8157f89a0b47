//! The JSON documents vapiform prints and saves. Each is one object tagged with its `kind`
//! (`plan`, `report`, `check`, `problems`, `validation`, `numbers`) beside its
//! `format_version`, so a pipeline that reads standard output knows what it holds before it
//! reads any more of it.

use serde::Serialize;

use crate::plan::{Cost, Plan};

/// What a JSON document holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// A plan (`plan`, `show`, `apply` of an empty plan, `plan --out`).
    Plan,
    /// What apply did.
    Report,
    /// What the test calls heard.
    Check,
    /// Why a command stopped: the file's or the plan's problems, or what it said on stderr.
    Problems,
    /// A file that validates, and what it holds.
    Validation,
    /// The numbers across Vapi and the carrier.
    Numbers,
}

impl Kind {
    /// The word for the kind, as in the JSON.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Plan => "plan",
            Self::Report => "report",
            Self::Check => "check",
            Self::Problems => "problems",
            Self::Validation => "validation",
            Self::Numbers => "numbers",
        }
    }
}

/// `body`, an object carrying its own `format_version`, as a document of `kind`: pretty JSON
/// with `kind` first and a trailing newline.
pub(crate) fn document<T: Serialize>(kind: Kind, body: &T) -> String {
    #[derive(Serialize)]
    struct Envelope<'a, T> {
        kind: Kind,
        #[serde(flatten)]
        body: &'a T,
    }
    super::json(&Envelope { kind, body })
}

/// The plan document: the plan, and beside it what applying it costs at the run's pace (not
/// part of its digest).
pub(crate) fn plan(plan: &Plan, cost: Option<&Cost>) -> String {
    #[derive(Serialize)]
    struct Shown<'a> {
        #[serde(flatten)]
        plan: &'a Plan,
        #[serde(skip_serializing_if = "Option::is_none")]
        cost: Option<&'a Cost>,
    }
    document(Kind::Plan, &Shown { plan, cost })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn a_document_names_its_kind_first_beside_its_own_fields() {
        let text = document(Kind::Numbers, &json!({"format_version": 1, "numbers": []}));
        assert!(text.starts_with("{\n  \"kind\": \"numbers\",\n"), "{text}");
        let read: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            read,
            json!({"kind": "numbers", "format_version": 1, "numbers": []})
        );
        for kind in [
            Kind::Plan,
            Kind::Report,
            Kind::Check,
            Kind::Problems,
            Kind::Validation,
            Kind::Numbers,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
        }
    }

    #[test]
    fn the_cost_of_a_plan_is_written_beside_it_and_the_plan_reads_back_without_it() {
        let planned = Plan::of(vec![crate::plan::Change::create("a")]);
        let cost = Cost {
            writes: 1,
            reads: 1,
            rps: 10.0,
            seconds: 0.2,
        };
        let text = plan(&planned, Some(&cost));
        let read: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(read["kind"], json!("plan"));
        assert_eq!(read["cost"]["writes"], json!(1));
        let back: Plan = serde_json::from_str(&text).unwrap();
        assert_eq!(back, planned);
        assert!(back.digest_matches());
        let bare: Value = serde_json::from_str(&plan(&planned, None)).unwrap();
        assert!(bare.get("cost").is_none());
    }
}
