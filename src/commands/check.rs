//! `vapiform check`: which numbers, what it will spend (asked first), the conversations, the
//! report. Shared with `apply --check`, which checks what it just applied.

use std::collections::BTreeSet;
use std::io::Write as _;

use super::account::{Account, Pace};
use super::signals::Signals;
use super::{Console, show};
use crate::apply::Interrupt;
use crate::check::{self, Budget, Report, Status};
use crate::cli::{CheckArgs, Format, Global};
use crate::desired::Desired;
use crate::exit::Exit;
use crate::id::AssistantId;
use crate::plan::live::Live;
use crate::plan::{Address, Operation, Plan};
use crate::render;

/// What one conversation costs at most, in dollars, as vapiform states a check's cost before
/// it spends anything: Vapi bills a chat by its model's tokens and its own per-chat fee, and a
/// check holds one short turn (the README says how this bound is reached).
pub(super) const PER_CHAT: f64 = 0.05;

pub(super) async fn run(
    global: &Global,
    args: &CheckArgs,
    console: &mut Console,
) -> anyhow::Result<Exit> {
    let Some(desired) = super::load(&args.file.file, console)? else {
        return Ok(Exit::Error);
    };
    let plan = args
        .plan
        .as_deref()
        .map(|path| show::read(path).map(|(plan, _)| plan))
        .transpose()?;
    let pace = Pace {
        rps: args.rps,
        concurrency: usize::from(args.concurrency),
        writes: false,
    };
    let account = Account::connect(global, &pace).await?;
    let live = account.read(None).await?;
    let numbers = scope(args, plan.as_ref(), &desired, &live)?;
    let settings = Settings {
        yes: args.yes,
        max_cost: args.max_cost,
        concurrency: usize::from(args.concurrency),
        format: args.format,
        mask_numbers: args.mask_numbers,
    };
    numbers_checked(&account, &desired, &live, &numbers, &settings, console).await
}

/// How a check runs and reports.
pub(super) struct Settings {
    pub(super) yes: bool,
    pub(super) max_cost: f64,
    pub(super) concurrency: usize,
    pub(super) format: Format,
    pub(super) mask_numbers: bool,
}

/// Checks `numbers`: says what it will spend, asks unless `yes`, holds the conversations, and
/// prints the report.
pub(super) async fn numbers_checked(
    account: &Account,
    desired: &Desired,
    live: &Live,
    numbers: &[String],
    settings: &Settings,
    console: &mut Console,
) -> anyhow::Result<Exit> {
    let subjects = check::subjects(desired, live, numbers);
    let chats = subjects
        .iter()
        .filter(|s| matches!(s.test, check::Test::Chat { .. }))
        .count();
    writeln!(
        console.err,
        "Check of {} number{}: {chats} conversation{} through Vapi's chat API, costing at most ${:.2} in all (${PER_CHAT:.2} each at most); none starts that could take the spending past --max-cost ${:.2}.",
        subjects.len(),
        if subjects.len() == 1 { "" } else { "s" },
        if chats == 1 { "" } else { "s" },
        PER_CHAT * f64::from(u32::try_from(chats).unwrap_or(u32::MAX)),
        settings.max_cost
    )?;
    if chats > 0
        && !settings.yes
        && !super::confirm(
            console,
            "check",
            "Hold these conversations?",
            "Check cancelled; nothing was spent.",
        )?
    {
        return Ok(Exit::Error);
    }
    let budget = Budget {
        max_cost: settings.max_cost,
        per_chat: PER_CHAT,
    };
    let interrupt = Interrupt::default();
    let mut signals = Signals::listen();
    let checking = check::run(
        &account.client,
        subjects,
        settings.concurrency,
        budget,
        &interrupt,
    );
    tokio::pin!(checking);
    let (report, interrupted) = tokio::select! {
        report = &mut checking => (report, false),
        () = signals.next() => {
            interrupt.request();
            writeln!(console.err, "interrupted: starting no new conversation; waiting for those in flight")?;
            (checking.await, true)
        }
    };
    print(&report, settings, console)?;
    Ok(if interrupted {
        Exit::Interrupted
    } else if report.count(Status::Fail) > 0 {
        Exit::NotAnswering
    } else if report.count(Status::Error) + report.count(Status::NotAttempted) > 0 {
        Exit::Error
    } else {
        Exit::Success
    })
}

fn print(report: &Report, settings: &Settings, console: &mut Console) -> anyhow::Result<()> {
    let text = match settings.format {
        Format::Text => render::check::text(report),
        Format::Markdown => render::check::markdown(report),
        Format::Json => render::check::json(report),
    };
    let text = if settings.mask_numbers && settings.format != Format::Json {
        render::mask::text_of(&text)
    } else {
        text
    };
    console.out.write_all(text.as_bytes())?;
    Ok(())
}

/// The numbers `args` names (a plan's and targets', else every number), a `--sample` of them,
/// sorted naturally.
fn scope(
    args: &CheckArgs,
    plan: Option<&Plan>,
    desired: &Desired,
    live: &Live,
) -> anyhow::Result<Vec<String>> {
    let mut numbers: BTreeSet<String> = BTreeSet::new();
    if let Some(plan) = plan {
        numbers.extend(changed(plan, live));
    }
    for target in &args.target {
        let named = match target {
            Address::Number(number) => live
                .numbers
                .iter()
                .filter(|n| &n.key == number)
                .map(|n| n.key.to_string())
                .collect(),
            Address::Assistant(key) | Address::Duplicate { key, .. } => {
                routed_to(&labelled(live, key), live)
            }
        };
        if named.is_empty() {
            anyhow::bail!(
                "--target {target} names no number of the account (a number it has, or an assistant/KEY numbers route to)"
            );
        }
        numbers.extend(named);
    }
    let mut numbers: Vec<String> = numbers.into_iter().collect();
    if args.all || (args.plan.is_none() && args.target.is_empty()) {
        numbers = live
            .numbers
            .iter()
            .map(|n| n.key.to_string())
            .filter(|key| !desired.ignore.contains(key.as_str()))
            .collect();
    }
    if let Some(n) = args.sample {
        numbers.sort_by_cached_key(|number| crate::plan::compare::sha256(&number.as_str().into()));
        numbers.truncate(usize::try_from(n).unwrap_or(usize::MAX));
    }
    numbers.sort_by(|a, b| crate::plan::natural::cmp(a, b));
    Ok(numbers)
}

/// The numbers a plan changes, and those routed to the assistants it creates or updates.
pub(super) fn changed(plan: &Plan, live: &Live) -> BTreeSet<String> {
    let mut assistants = BTreeSet::new();
    let mut numbers = BTreeSet::new();
    for change in &plan.changes {
        match (change.address(), change.op()) {
            (Address::Number(number), _) => {
                numbers.insert(number.to_string());
            }
            (_, Operation::UpdateAssistant { expect, .. }) => {
                assistants.insert(expect.id.clone());
            }
            (_, Operation::CreateAssistant { key, .. }) => {
                assistants.extend(labelled(live, key));
            }
            _ => {}
        }
    }
    numbers.extend(routed_to(&assistants, live));
    numbers
}

/// The ids of the assistants that carry `key`'s label.
fn labelled(live: &Live, key: &str) -> BTreeSet<AssistantId> {
    live.assistants
        .iter()
        .filter(|a| a.label.as_deref() == Some(key))
        .map(|a| a.id.clone())
        .collect()
}

/// The numbers routed to any of `ids`.
fn routed_to(ids: &BTreeSet<AssistantId>, live: &Live) -> Vec<String> {
    live.numbers
        .iter()
        .filter(|n| n.assistant_id.as_ref().is_some_and(|id| ids.contains(id)))
        .map(|n| n.key.to_string())
        .collect()
}
