//! The scale benchmark (issue 7): the real `vapiform` binary planning and applying against an
//! in-process simulator that holds N phone numbers and N assistants, with 20 ms latency.
//!
//! For each size it measures wall time, requests by method, and the child's peak memory, and
//! checks the targets of DESIGN.md section 7. `cargo bench --bench scale` runs 1,000, 10,000
//! and 50,000; `cargo bench --bench scale -- --quick` runs 1,000 only, and says which targets
//! it skipped. Either way it exits non-zero when a target it checked was missed or a
//! correctness check failed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vapiform::sim::{self, Account, Stats};

/// Sizes of a full run (numbers = assistants = businesses).
const SIZES: &[usize] = &[1_000, 10_000, 50_000];
/// The size of a `--quick` run.
const QUICK_SIZE: usize = 1_000;
/// Latency the simulator adds to every answer.
const LATENCY: Duration = Duration::from_millis(20);
/// `apply --rps`.
const RPS: u32 = 50;
/// `apply --concurrency`.
const CONCURRENCY: u32 = 8;
/// Objects created in the same millisecond, so list pages end inside a tie.
const TIES: usize = 4;
/// Every this-many-th business routes to an unlabelled legacy assistant it does not manage.
const LEGACY_EVERY: usize = 100;
/// Of the changed businesses, every this-many-th moves its number instead of changing its prompt.
const MOVE_EVERY: usize = 5;
/// Plan of 10,000 + 10,000 must finish faster than this.
const PLAN_SECONDS: f64 = 3.0;
/// ... and peak below this.
const PLAN_MIB: f64 = 300.0;
/// Apply may take this much longer than the rate limit makes necessary.
const APPLY_SLACK: f64 = 1.2;

/// The template's system prompt, with the placeholders vapiform fills.
const PROMPT: &str = "You answer the phone for ${business.name}.\nOpening hours: ${vars.hours}.\nTake the caller's name and number, and never quote prices.\n";
/// The template's first message.
const GREETING: &str = "Thanks for calling ${business.name}. How can I help?";
/// The hours a business with a changed prompt gets.
const NEW_HOURS: &str = "closed for renovation";
/// The organisation every object belongs to.
const ORG: &str = "be2f6a7c-1d3e-4f5a-9b8c-7d6e5f4a3b2c";

/// A generated account of `size` businesses, each with one number and one assistant.
struct Fleet {
    size: usize,
}

impl Fleet {
    fn key(i: usize) -> String {
        format!("b{i:05}")
    }

    fn name(i: usize) -> String {
        format!("Business {i:05}")
    }

    fn number(i: usize) -> String {
        format!("+1415{:07}", 2_000_000 + i)
    }

    fn hours(i: usize) -> String {
        format!("{}am-{}pm", 7 + i % 3, 4 + i % 4)
    }

    fn is_legacy(i: usize) -> bool {
        i % LEGACY_EVERY == LEGACY_EVERY - 1
    }

    fn number_id(i: usize) -> String {
        format!("5d0e9c1a-0000-4000-8000-{i:012}")
    }

    fn assistant_id(i: usize) -> String {
        format!("a1c2e3f4-0000-4000-8000-{i:012}")
    }

    /// `TIES` objects per millisecond, starting 2025-01-01.
    fn created_at(i: usize) -> String {
        let ms = i / TIES;
        format!(
            "2025-01-01T{:02}:{:02}:{:02}.{:03}Z",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        )
    }

    /// The account as the simulator serves it: numbers routed to their business's assistant.
    fn account(&self) -> Account {
        let object = |value: Value| match value {
            Value::Object(map) => map,
            _ => unreachable!("json! of an object literal"),
        };
        let phone_numbers = (0..self.size)
            .map(|i| {
                object(json!({
                    "id": Self::number_id(i),
                    "orgId": ORG,
                    "provider": "telnyx",
                    "number": Self::number(i),
                    "credentialId": "9a1e0c4e-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
                    "name": Self::name(i),
                    "status": "active",
                    "assistantId": Self::assistant_id(i),
                    "createdAt": Self::created_at(i),
                    "updatedAt": Self::created_at(i),
                }))
            })
            .collect();
        let assistants = (0..self.size)
            .map(|i| {
                let name = Self::name(i);
                let mut assistant = if Self::is_legacy(i) {
                    json!({
                        "name": format!("Legacy {i:05}"),
                        "firstMessage": "Hello, you reached a hand-made assistant.",
                        "voice": {"provider": "11labs", "voiceId": "bella"},
                    })
                } else {
                    let fill = |text: &str| {
                        text.replace("${business.name}", &name)
                            .replace("${vars.hours}", &Self::hours(i))
                    };
                    json!({
                        "name": name,
                        "firstMessage": fill(GREETING),
                        "model": {
                            "provider": "openai",
                            "model": "gpt-4o-mini",
                            "temperature": 1,
                            "messages": [{"role": "system", "content": fill(PROMPT)}],
                        },
                        "voice": {"provider": "vapi", "voiceId": "Elliot"},
                        "metadata": {"vapiform": {"key": Self::key(i)}},
                    })
                };
                let fields = assistant.as_object_mut().expect("an object");
                fields.insert("id".into(), Self::assistant_id(i).into());
                fields.insert("orgId".into(), ORG.into());
                fields.insert("createdAt".into(), Self::created_at(i).into());
                fields.insert("updatedAt".into(), Self::created_at(i).into());
                object(assistant)
            })
            .collect();
        Account {
            phone_numbers,
            assistants,
            ..Account::default()
        }
    }

    /// The desired-state file: unchanged for `None`, else with every `every`-th managed
    /// business changed. Returns the file and how many changes it implies.
    fn desired(&self, every: Option<usize>) -> (String, usize) {
        let is_changed =
            |i: usize| every.is_some_and(|every| i.is_multiple_of(every) && !Self::is_legacy(i));
        let is_moved = |i: usize| {
            is_changed(i) && every.is_some_and(|every| (i / every).is_multiple_of(MOVE_EVERY))
        };
        let mut changes = 0;
        let mut yaml = String::with_capacity(self.size * 160);
        yaml.push_str("version: 1\ntemplates:\n  receptionist:\n    name: \"${business.name}\"\n");
        let _ = writeln!(yaml, "    firstMessage: {}", quote(GREETING));
        yaml.push_str("    model:\n      provider: openai\n      model: gpt-4o-mini\n");
        let _ = writeln!(
            yaml,
            "      messages:\n        - role: system\n          content: {}",
            quote(PROMPT)
        );
        yaml.push_str("    voice: {provider: vapi, voiceId: Elliot}\nbusinesses:\n");
        for i in 0..self.size {
            let mut numbers = Vec::new();
            if is_moved(i) {
                changes += 1;
            } else {
                numbers.push(quote(&Self::number(i)));
            }
            if i > 0 && is_moved(i - 1) {
                numbers.push(quote(&Self::number(i - 1)));
            }
            let _ = writeln!(
                yaml,
                "  {}:\n    name: {}\n    numbers: [{}]",
                Self::key(i),
                quote(&Self::name(i)),
                numbers.join(", ")
            );
            if Self::is_legacy(i) {
                let _ = writeln!(yaml, "    assistant: {{id: {}}}", Self::assistant_id(i));
            } else {
                let hours = if is_changed(i) && !is_moved(i) {
                    changes += 1;
                    NEW_HOURS.to_owned()
                } else {
                    Self::hours(i)
                };
                let _ = writeln!(
                    yaml,
                    "    assistant: {{template: receptionist, vars: {{hours: {}}}}}",
                    quote(&hours)
                );
            }
        }
        (yaml, changes)
    }
}

/// A YAML double-quoted scalar (a JSON string is one).
fn quote(text: &str) -> String {
    Value::from(text).to_string()
}

/// What one run of the binary cost.
struct Measured {
    wall: Duration,
    /// Requests by method (`GET`, `POST`, ...), from the simulator's counts.
    by_method: BTreeMap<String, u64>,
    /// Requests by route, e.g. `GET /assistant`.
    by_route: BTreeMap<String, u64>,
    /// The child's peak resident set (`VmHWM`), in KiB.
    peak_kib: u64,
    /// The exit code, `None` if killed by a signal.
    code: Option<i32>,
}

impl Measured {
    fn total(&self) -> u64 {
        self.by_method.values().sum()
    }

    fn count(&self, method: &str) -> u64 {
        self.by_method.get(method).copied().unwrap_or(0)
    }

    /// Requests the rate limit paced: everything but the list calls that read the account.
    fn paced(&self) -> u64 {
        self.by_route
            .iter()
            .filter(|(route, _)| !matches!(route.as_str(), "GET /phone-number" | "GET /assistant"))
            .map(|(_, n)| n)
            .sum()
    }
}

/// Runs `vapiform --api-url URL ARGS...`, polling its peak memory until it exits.
fn run(sim: &sim::Running, args: &[&str], log: &Path) -> Measured {
    let before = sim.stats();
    let output = File::create(log).expect("create the log file");
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vapiform"))
        .arg("--api-url")
        .arg(sim.url())
        .args(args)
        .env("VAPI_API_KEY", "bench")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(output.try_clone().expect("clone the log file"))
        .stderr(output)
        .spawn()
        .expect("spawn vapiform");
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let mut peak_kib = 0;
    let status = loop {
        if let Some(kib) = std::fs::read_to_string(&status_file)
            .ok()
            .as_deref()
            .and_then(high_water_mark)
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait for vapiform") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall = started.elapsed();
    let by_route = difference(&before, &sim.stats());
    let mut by_method = BTreeMap::new();
    for (route, n) in &by_route {
        let method = route.split_once(' ').map_or(route.as_str(), |(m, _)| m);
        *by_method.entry(method.to_owned()).or_default() += n;
    }
    Measured {
        wall,
        by_method,
        by_route,
        peak_kib,
        code: status.code(),
    }
}

/// `VmHWM` from `/proc/<pid>/status`, in KiB.
fn high_water_mark(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Requests per route between two snapshots.
fn difference(before: &Stats, after: &Stats) -> BTreeMap<String, u64> {
    after
        .by_route
        .iter()
        .map(|(route, n)| {
            let earlier = before.by_route.get(route).copied().unwrap_or(0);
            (route.clone(), n - earlier)
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// An exit code, with the log to read when it is not 0.
fn outcome(code: Option<i32>, log: &Path) -> String {
    match code {
        Some(0) => "exit 0".into(),
        Some(code) => format!("exit {code}, see {}", log.display()),
        None => format!("killed by a signal, see {}", log.display()),
    }
}

/// `count` as a float, for rates and ratios (exact below 2^53).
#[allow(clippy::cast_precision_loss)]
fn float(count: u64) -> f64 {
    count as f64
}

/// One line of the results table.
struct Row {
    size: usize,
    operation: String,
    changes: usize,
    measured: Measured,
    /// What the per-object approach would send.
    per_object: u64,
    /// For apply: paced requests / rps, and apply's wall time less the plan's (the read phase).
    bound: Option<(f64, f64)>,
}

/// A target with its verdict.
struct Verdict {
    target: String,
    pass: Option<bool>,
    detail: String,
}

/// Everything a run found.
#[derive(Default)]
struct Results {
    rows: Vec<Row>,
    verdicts: Vec<Verdict>,
}

impl Results {
    /// A target of DESIGN.md section 7 or a correctness check (a plan not empty, an apply that
    /// did not converge); missing either makes the benchmark exit non-zero.
    fn check(&mut self, target: String, pass: bool, detail: String) {
        self.verdicts.push(Verdict {
            target,
            pass: Some(pass),
            detail,
        });
    }

    /// Targets and checks missed.
    fn missed(&self) -> usize {
        self.verdicts
            .iter()
            .filter(|verdict| verdict.pass == Some(false))
            .count()
    }
}

/// Starts a simulator serving `account` with the benchmark's latency.
fn start(runtime: &tokio::runtime::Runtime, account: Account) -> sim::Running {
    runtime
        .block_on(sim::start(sim::Options {
            account: Some(account),
            latency: LATENCY,
            ..sim::Options::default()
        }))
        .expect("start the simulator")
}

/// Plans the unchanged account, then applies the 1% and 10% variants, each on a fresh account.
fn measure(size: usize, runtime: &tokio::runtime::Runtime, dir: &Path, results: &mut Results) {
    let fleet = Fleet { size };
    let n = u64::try_from(size).expect("size fits u64");
    let file = dir.join(format!("vapiform-{size}.yaml"));
    let (yaml, _) = fleet.desired(None);
    std::fs::write(&file, yaml).expect("write the desired-state file");
    let file = file.to_str().expect("a UTF-8 temp path");

    let sim = start(runtime, fleet.account());
    let log = dir.join(format!("plan-{size}.log"));
    let plan = run(
        &sim,
        &[
            "plan",
            "-f",
            file,
            "--format",
            "json",
            "--detailed-exitcode",
        ],
        &log,
    );
    runtime.block_on(sim.shutdown());
    let plan_wall = plan.wall.as_secs_f64();
    results.check(
        format!("plan {size}: unchanged account plans empty"),
        plan.code == Some(0),
        outcome(plan.code, &log),
    );
    let limit = 2 * size.div_ceil(1000) + 4;
    results.check(
        format!("plan {size}: requests <= ceil(numbers/1000)+ceil(assistants/1000)+4"),
        plan.total() <= u64::try_from(limit).expect("fits"),
        format!("{} <= {limit}", plan.total()),
    );
    if size == 10_000 {
        let mib = float(plan.peak_kib) / 1024.0;
        results.check(
            format!("plan {size}: wall < {PLAN_SECONDS} s"),
            plan_wall < PLAN_SECONDS,
            format!("{plan_wall:.2} s"),
        );
        results.check(
            format!("plan {size}: peak RSS < {PLAN_MIB} MiB"),
            mib < PLAN_MIB,
            format!("{mib:.1} MiB"),
        );
    }
    results.rows.push(Row {
        size,
        operation: "plan".into(),
        changes: 0,
        per_object: 2 * n,
        measured: plan,
        bound: None,
    });

    for (label, every) in [("1%", 100), ("10%", 10)] {
        let file = dir.join(format!("vapiform-{size}-{every}.yaml"));
        let (yaml, changes) = fleet.desired(Some(every));
        std::fs::write(&file, yaml).expect("write the desired-state file");
        let file = file.to_str().expect("a UTF-8 temp path");
        let sim = start(runtime, fleet.account());
        let log = dir.join(format!("apply-{size}-{every}.log"));
        let (rps, concurrency) = (RPS.to_string(), CONCURRENCY.to_string());
        let apply = run(
            &sim,
            &[
                "apply",
                "-f",
                file,
                "--yes",
                "--rps",
                &rps,
                "--concurrency",
                &concurrency,
            ],
            &log,
        );
        let after_log = dir.join(format!("replan-{size}-{every}.log"));
        let replan = run(
            &sim,
            &["plan", "-f", file, "--detailed-exitcode"],
            &after_log,
        );
        runtime.block_on(sim.shutdown());

        let operation = format!("apply {label}");
        results.check(
            format!("{operation} {size}: converged"),
            apply.code == Some(0),
            outcome(apply.code, &log),
        );
        results.check(
            format!("{operation} {size}: plan afterwards is empty"),
            replan.code == Some(0),
            outcome(replan.code, &after_log),
        );
        let writes = apply.count("POST") + apply.count("PATCH") + apply.count("DELETE");
        results.check(
            format!("{operation} {size}: one write per change"),
            writes == u64::try_from(changes).expect("fits"),
            format!("{writes} writes for {changes} changes"),
        );
        let bound = float(apply.paced()) / f64::from(RPS);
        let write_phase = apply.wall.as_secs_f64() - plan_wall;
        results.check(
            format!("{operation} {size}: write phase within 20% of paced requests / rps"),
            write_phase <= bound * APPLY_SLACK,
            format!(
                "{write_phase:.2} s for {} paced requests at {RPS} rps = {bound:.2} s, ratio {:.2}",
                apply.paced(),
                write_phase / bound
            ),
        );
        results.rows.push(Row {
            size,
            operation,
            changes,
            per_object: 2 * n + 3 * u64::try_from(changes).expect("fits"),
            measured: apply,
            bound: Some((bound, write_phase)),
        });
    }
}

/// `nproc` and the CPU model.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpus} CPUs, {model}")
}

/// The results as a markdown table.
fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| size | operation | changes | wall s | requests | GET | POST | PATCH | DELETE | per-object requests | peak RSS MiB | rps bound s | ratio (wall) | ratio (write phase) |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        let m = &row.measured;
        let wall = m.wall.as_secs_f64();
        let (bound, ratios) = match row.bound {
            Some((bound, write_phase)) => (
                format!("{bound:.2}"),
                format!("{:.2} | {:.2}", wall / bound, write_phase / bound),
            ),
            None => ("–".into(), "– | –".into()),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {wall:.2} | {} | {} | {} | {} | {} | {} | {:.1} | {bound} | {ratios} |",
            row.size,
            row.operation,
            row.changes,
            m.total(),
            m.count("GET"),
            m.count("POST"),
            m.count("PATCH"),
            m.count("DELETE"),
            row.per_object,
            float(m.peak_kib) / 1024.0,
        );
    }
    out
}

fn main() -> ExitCode {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let sizes = if quick { &[QUICK_SIZE][..] } else { SIZES };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut results = Results::default();
    for &size in sizes {
        eprintln!("scale: {size} numbers + {size} assistants ...");
        measure(size, &runtime, dir.path(), &mut results);
    }
    if quick {
        results.verdicts.push(Verdict {
            target: "plan 10000: wall and peak RSS".into(),
            pass: None,
            detail: "not run with --quick".into(),
        });
    }

    println!("## Scale benchmark\n");
    println!("Machine: {}", machine());
    println!(
        "Simulator in-process, {} ms latency; apply with --rps {RPS} --concurrency {CONCURRENCY}.\n",
        LATENCY.as_millis()
    );
    println!("{}", table(&results.rows));
    println!("Requests by route:\n");
    for row in &results.rows {
        let routes: Vec<String> = row
            .measured
            .by_route
            .iter()
            .map(|(route, n)| format!("{route} {n}"))
            .collect();
        println!("- {} {}: {}", row.size, row.operation, routes.join(", "));
    }
    println!("\nTargets:\n");
    for verdict in &results.verdicts {
        let mark = match verdict.pass {
            Some(true) => "PASS",
            Some(false) => "FAIL",
            None => "SKIP",
        };
        println!("- {mark} {}: {}", verdict.target, verdict.detail);
    }
    let missed = results.missed();
    if missed > 0 {
        // Keep the logs the failures point at.
        let kept = dir.keep();
        eprintln!(
            "scale: {missed} target(s) missed (FAIL above); logs kept in {}",
            kept.display()
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
