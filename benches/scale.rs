//! The scale benchmark (issues 7, 13 and 29): the real `vapiform` binary, release build,
//! against a simulator started in this process (`vapiform::sim::start`, 20 ms latency on every
//! answer) that holds an account of realistic assistants: about 5 KB of JSON each (a 30-line
//! system prompt, model with tool ids, voice, transcriber, a server with headers), all expanded
//! from one template of the desired file, one number per business.
//!
//! It measures:
//! - **plan** of an unchanged account of 10,000 and 50,000 businesses, run 5 and 3 times
//!   against one simulator per size: wall time, the child's CPU time (user + system, from
//!   `/proc/self/stat` once the child is reaped), its peak resident set (`VmHWM`, polled) and
//!   the requests it sent. Each figure is reported as min / median / max of the runs, and the
//!   medians are what the targets check (each figure's own median, an odd number of runs);
//! - the **floor** of each plan: the time to fetch and parse every page the plan reads, and
//!   nothing else. In this process, against the same simulator, a fresh
//!   `vapiform::vapi::Client` at plan's pace (no rate limit, 8 requests in flight) reads the
//!   numbers and the assistants at once, as plan does (`tokio::try_join!` of `list_numbers`
//!   and `list_assistants`); the time from the first request until both lists are parsed,
//!   as many runs as the plan's, median. The runtime is multi-threaded: the simulator serves
//!   from its worker threads while the reads are driven (and parsed) on the bench's main
//!   thread, so neither waits for the other's turn on one thread;
//! - **validate** alone of the 10,000-business file (no simulator), 5 runs;
//! - **numbers** `--free` over a carrier pool of 100,000 Telnyx numbers (tagged, active; no
//!   Vapi numbers or assistants), 3 runs: wall, CPU, peak resident set;
//! - **apply** of 1,000 changes (10% of a 10,000-business account; `--rps 50`): wall time
//!   against writes / rps, requests by method, 429s received;
//! - the same apply against a simulator whose `--rate-limit` is a quarter of `--rps`: the 429s
//!   and the wall time against the ideal at the real limit;
//! - **onboarding** of 1,000 businesses at `--rps 10`: the time from starting `apply` to the
//!   first number the simulator saw routed (`Stats::first_routed`), after which the apply is
//!   interrupted.
//!
//! The targets (medians where there are runs): plan of 10,000 businesses within 0.5 s and
//! 100 MiB, of 50,000 within 2.5 s and 350 MiB, each within 2 × its floor; plan's peak grows by
//! at most 6 KiB a business from 10,000 to 50,000; validate of 10,000 within 0.25 s; numbers
//! over 100,000 within 3 s and 150 MiB; apply within 1.15 × writes / rps and 40 reads per
//! 1,000 changes, within 1.5 × the ideal against the limited server; the first number of an
//! onboarding routed within 2 s; and plan's requests at most one a page and 4 more.
//!
//! `cargo bench --bench scale` runs all of it and exits non-zero when a target is missed;
//! `-- --quick` (the CI run on every change) plans 1,000 and 10,000 businesses (3 runs each),
//! validates 10,000, lists a pool of 10,000 numbers and applies and onboards 1,000
//! businesses; it reports the 10,000 plan and validate against their targets, says which
//! targets it skipped, and does not fail on a missed one: the targets are stated for the full
//! run on the reference machine, not for a smoke run on a shared CI runner. A run that cannot
//! measure (an apply that fails, a plan that is not empty, a numbers listing short of the
//! pool) fails in both modes. `-- --emit DIR --size N` only writes the desired file and the
//! simulator's state file for N businesses, and `-- --emit DIR --carrier N` the carrier pool
//! of N numbers and its desired file, to profile by hand (see docs/performance.md).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value, json};
use vapiform::sim::{self, Account, Stats};
use vapiform::vapi::{ApiKey, Client, Settings};

/// Plan sizes of a full run, and of a quick one, each with how many times it is planned.
const PLAN_SIZES: &[(usize, usize)] = &[(10_000, 5), (50_000, 3)];
const QUICK_PLAN_SIZES: &[(usize, usize)] = &[(1_000, 3), (10_000, 3)];
/// Plan's pace (`Pace::READ`): no rate limit, this many requests in flight.
const READ_CONCURRENCY: usize = 8;
/// The file validated alone, and how many times.
const VALIDATE_SIZE: usize = 10_000;
const VALIDATE_RUNS: usize = 5;
/// The carrier pool listed by `numbers --free` in a full run, and in a quick one; how many
/// times it is listed; the tag its numbers carry.
const POOL: usize = 100_000;
const QUICK_POOL: usize = 10_000;
const NUMBERS_RUNS: usize = 3;
const POOL_TAG: &str = "vapi-pool";
/// The account applied to, and how many of its businesses change (every `CHANGE_EVERY`-th).
const APPLY_SIZE: usize = 10_000;
const QUICK_APPLY_SIZE: usize = 1_000;
const CHANGE_EVERY: usize = 10;
/// Businesses onboarded.
const ONBOARD: usize = 1_000;
/// Latency the simulator adds to every answer.
const LATENCY: Duration = Duration::from_millis(20);
/// `apply --rps` and `--concurrency` (the default concurrency).
const RPS: f64 = 50.0;
const CONCURRENCY: u32 = 8;
/// The simulator's rate limit in the 429 run, as a share of `--rps`.
const LIMIT_SHARE: f64 = 0.25;
/// `apply --rps` when onboarding (the default).
const ONBOARD_RPS: f64 = 10.0;
/// Objects created in the same millisecond, so list pages end inside a tie.
const TIES: usize = 4;
/// Every this-many-th business routes to an unlabelled legacy assistant it does not manage.
const LEGACY_EVERY: usize = 100;
/// Of the changed businesses, every this-many-th moves its number instead of changing its prompt.
const MOVE_EVERY: usize = 5;

/// Plan targets by size: the medians' wall seconds and peak MiB.
const PLAN_TARGETS: &[(usize, f64, f64)] = &[(10_000, 0.5, 100.0), (50_000, 2.5, 350.0)];
/// Plan's median wall time is at most this times its floor's.
const FLOOR_FACTOR: f64 = 2.0;
/// The most one business may add to plan's peak memory from 10,000 to 50,000, in KiB.
const GROWTH_KIB: f64 = 6.0;
/// validate's median wall time.
const VALIDATE_TARGET: Duration = Duration::from_millis(250);
/// `numbers` over the full pool: the medians' wall seconds and peak MiB.
const NUMBERS_WALL: f64 = 3.0;
const NUMBERS_PEAK_MIB: f64 = 150.0;
/// Apply may take this many times writes / rps.
const APPLY_SLACK: f64 = 1.15;
/// Reads apply may add to its writes (its read of the account included), per 1,000 changes.
const READS_PER_1000: u64 = 40;
/// The first routed number of an onboarding, at the latest.
const FIRST_ROUTE: Duration = Duration::from_secs(2);

/// The value of `${env.HOOK_TOKEN}` the account holds and the child is given.
const HOOK_TOKEN: &str = "hook-token-0c5e9a";
/// The organisation every object belongs to.
const ORG: &str = "be2f6a7c-1d3e-4f5a-9b8c-7d6e5f4a3b2c";
/// The hours a business with a changed prompt gets.
const NEW_HOURS: &str = "closed for renovation";

/// The system prompt: 30 lines, with the placeholders vapiform fills.
const PROMPT: [&str; 30] = [
    "You are the receptionist of ${business.name}, a family-run business in ${vars.city}.",
    "You answer the phone warmly, briefly and in plain language; callers are often in a hurry.",
    "Our opening hours are ${vars.hours}. Outside them, offer to take a message or book a callback.",
    "Always start by asking for the caller's name, and use it once or twice during the call.",
    "Then ask what the call is about, and listen to the whole answer before you reply.",
    "If the caller wants an appointment, use the booking tool to find the first free slot.",
    "Offer at most three slots at a time, read them as weekday and time, never as a date.",
    "Confirm the slot back to the caller and spell out the day before you book it.",
    "If the caller wants to change or cancel a booking, look it up by their phone number first.",
    "Never quote prices: say that a colleague will send a written quote within one working day.",
    "Never give medical, legal or financial advice, even when the caller insists.",
    "If the caller describes an emergency, tell them to hang up and call the emergency number.",
    "If the caller asks for a person, transfer the call with the transfer tool during opening hours.",
    "Outside opening hours, take a message with the message tool: name, number and the reason.",
    "Read the caller's number back to them digit by digit before you save a message.",
    "Do not ask for card numbers, passwords or any other secret; we never need them by phone.",
    "If you do not understand the caller, ask them to repeat once, then offer a callback.",
    "If the line is bad, say so, and offer to call back on the number they are calling from.",
    "Speak in the caller's language if you can; otherwise apologise and continue in English.",
    "Keep every answer under three sentences unless the caller asks for more detail.",
    "Do not invent services: we offer what the services tool lists for ${business.name}, nothing more.",
    "When the caller asks where we are, give the address from the location tool and the nearest landmark.",
    "When the caller asks about parking, say that there is free parking behind the building.",
    "If the caller is angry, acknowledge the problem, apologise once and offer a callback from the manager.",
    "Never argue with the caller, and never promise a refund; the manager decides refunds.",
    "If the caller asks whether you are a person, say that you are the virtual receptionist.",
    "If the call is silent for ten seconds, ask whether the caller is still there, then end the call.",
    "At the end of the call, summarise what will happen next and who will do it.",
    "Thank the caller for choosing ${business.name} and wish them a good day.",
    "Business reference for the logs: ${business.key}; never read it out to the caller.",
];

/// The assistant template of the desired file, with the placeholders vapiform fills.
fn template() -> Value {
    let prompt = PROMPT.join("\n") + "\n";
    json!({
        "name": "${business.name}",
        "firstMessage": "Thanks for calling ${business.name}, this is the virtual receptionist. How can I help you today?",
        "firstMessageMode": "assistant-speaks-first",
        "model": {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "temperature": 0.3,
            "maxTokens": 400,
            "emotionRecognitionEnabled": true,
            "toolIds": [
                "7f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e01",
                "7f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e02",
                "7f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e03",
                "7f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e04",
                "7f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e05",
            ],
            "messages": [{"role": "system", "content": prompt}],
        },
        "voice": {
            "provider": "11labs",
            "voiceId": "burt",
            "model": "eleven_turbo_v2_5",
            "stability": 0.5,
            "similarityBoost": 0.75,
            "speed": 1.0,
            "chunkPlan": {"enabled": true, "minCharacters": 30},
        },
        "transcriber": {
            "provider": "deepgram",
            "model": "nova-2",
            "language": "en-US",
            "smartFormat": true,
            "keywords": ["${vars.city}:2", "appointment:1", "callback:1", "invoice:1"],
            "endpointing": 300,
        },
        "server": {
            "url": "https://hooks.example.com/vapi/calls?business=${business.key}",
            "timeoutSeconds": 20,
            "headers": {
                "authorization": "Bearer ${env.HOOK_TOKEN}",
                "x-business-key": "${business.key}",
                "x-source": "vapiform",
            },
        },
        "serverMessages": ["end-of-call-report", "status-update", "tool-calls", "transfer-destination-request"],
        "clientMessages": ["transcript", "tool-calls", "hang"],
        "endCallMessage": "Thank you for calling ${business.name}. Goodbye!",
        "endCallPhrases": ["goodbye", "bye for now", "talk to you later"],
        "voicemailMessage": "Hello, this is ${business.name}. Please call us back during our opening hours, ${vars.hours}.",
        "maxDurationSeconds": 900,
        "backgroundSound": "office",
        "startSpeakingPlan": {"waitSeconds": 0.4},
        "stopSpeakingPlan": {"numWords": 2, "backoffSeconds": 1},
        "analysisPlan": {
            "summaryPlan": {
                "enabled": true,
                "messages": [{"role": "system", "content": "Summarise the call for ${business.name} in two sentences: who called and what happens next."}],
            },
            "successEvaluationPlan": {"enabled": true, "rubric": "PassFail"},
        },
        "metadata": {"plan": "standard", "region": "us-west"},
    })
}

/// Fills every placeholder in the strings of `value`, as vapiform does.
fn fill(value: &Value, vars: &[(&str, &str)]) -> Value {
    match value {
        Value::String(text) => {
            let mut text = text.clone();
            for (name, with) in vars {
                text = text.replace(&format!("${{{name}}}"), with);
            }
            Value::String(text)
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| fill(i, vars)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill(v, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("json! of an object literal"),
    }
}

/// A YAML double-quoted scalar (a JSON string is one).
fn quote(text: &str) -> String {
    Value::from(text).to_string()
}

/// A generated account of `size` businesses, each with one number and (but every
/// `LEGACY_EVERY`-th) its own assistant from the template.
struct Fleet {
    size: usize,
    template: Value,
}

impl Fleet {
    fn new(size: usize) -> Self {
        Self {
            size,
            template: template(),
        }
    }

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

    fn city(i: usize) -> &'static str {
        [
            "Springfield",
            "Riverside",
            "Fairview",
            "Greenville",
            "Madison",
        ][i % 5]
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

    /// Business `i`'s assistant as the API returns it.
    fn assistant(&self, i: usize) -> Map<String, Value> {
        let (key, name, hours) = (Self::key(i), Self::name(i), Self::hours(i));
        let mut assistant = if Self::is_legacy(i) {
            json!({
                "name": format!("Legacy {i:05}"),
                "firstMessage": "Hello, you reached a hand-made assistant.",
                "voice": {"provider": "vapi", "voiceId": "Elliot"},
            })
        } else {
            let mut body = fill(
                &self.template,
                &[
                    ("business.name", &name),
                    ("business.key", &key),
                    ("vars.hours", &hours),
                    ("vars.city", Self::city(i)),
                    ("env.HOOK_TOKEN", HOOK_TOKEN),
                ],
            );
            body["metadata"]["vapiform"] = json!({"key": key});
            // What the server adds to what it was sent.
            body["isServerUrlSecretSet"] = json!(false);
            body["voice"]["inputPreprocessingEnabled"] = json!(true);
            body
        };
        let fields = assistant.as_object_mut().expect("an object");
        fields.insert("id".into(), Self::assistant_id(i).into());
        fields.insert("orgId".into(), ORG.into());
        fields.insert("createdAt".into(), Self::created_at(i).into());
        fields.insert("updatedAt".into(), Self::created_at(i).into());
        object(assistant)
    }

    /// Business `i`'s number as the API returns it, routed to its assistant or to nothing.
    fn phone_number(i: usize, routed: bool) -> Map<String, Value> {
        let mut number = object(json!({
            "id": Self::number_id(i),
            "orgId": ORG,
            "provider": "telnyx",
            "number": Self::number(i),
            "credentialId": "9a1e0c4e-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
            "name": Self::name(i),
            "status": "active",
            "createdAt": Self::created_at(i),
            "updatedAt": Self::created_at(i),
        }));
        if routed {
            number.insert("assistantId".into(), Self::assistant_id(i).into());
        }
        number
    }

    /// The account as the simulator serves it: numbers routed to their business's assistant.
    fn account(&self) -> Account {
        Account {
            phone_numbers: (0..self.size)
                .map(|i| Self::phone_number(i, true))
                .collect(),
            assistants: (0..self.size).map(|i| self.assistant(i)).collect(),
            ..Account::default()
        }
    }

    /// Before an onboarding: no managed assistant exists yet and the numbers route nowhere,
    /// but for the legacy businesses, whose hand-made assistants already answer their numbers
    /// (so the first number routed is one routed to an assistant the apply creates).
    fn unrouted(&self) -> Account {
        Account {
            phone_numbers: (0..self.size)
                .map(|i| Self::phone_number(i, Self::is_legacy(i)))
                .collect(),
            assistants: (0..self.size)
                .filter(|&i| Self::is_legacy(i))
                .map(|i| self.assistant(i))
                .collect(),
            ..Account::default()
        }
    }

    /// The desired-state file: unchanged for `None`, else with every `every`-th managed
    /// business changed. Returns the file and how many changes it implies against
    /// [`Fleet::account`].
    fn desired(&self, every: Option<usize>) -> (String, usize) {
        let is_changed =
            |i: usize| every.is_some_and(|every| i.is_multiple_of(every) && !Self::is_legacy(i));
        let is_moved = |i: usize| {
            is_changed(i) && every.is_some_and(|every| (i / every).is_multiple_of(MOVE_EVERY))
        };
        let mut changes = 0;
        let mut yaml = String::with_capacity(self.size * 200);
        yaml.push_str("version: 1\ntemplates:\n  receptionist:\n");
        let template = serde_yaml::to_string(&self.template).expect("the template as YAML");
        for line in template.lines() {
            let _ = writeln!(yaml, "    {line}");
        }
        yaml.push_str("businesses:\n");
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
                    "    assistant: {{template: receptionist, vars: {{hours: {}, city: {}}}}}",
                    quote(&hours),
                    quote(Self::city(i))
                );
            }
        }
        (yaml, changes)
    }

    /// Bytes of compact JSON of one managed assistant as the API returns it.
    fn assistant_bytes(&self) -> usize {
        Value::Object(self.assistant(0)).to_string().len()
    }
}

/// The desired file of the carrier pool: the carrier and its tag, no business.
fn pool_file() -> String {
    format!("version: 1\ncarrier: {{provider: telnyx, tag: {POOL_TAG}}}\nbusinesses: {{}}\n")
}

/// A carrier pool of `size` active Telnyx numbers tagged `POOL_TAG`, as `GET /v2/phone_numbers`
/// returns them, and nothing at Vapi.
fn pool(size: usize) -> Account {
    let number = |i: usize| {
        object(json!({
            "id": (1_293_384_261_075_731_630 + count(i)).to_string(),
            "record_type": "phone_number",
            "phone_number": format!("+1415{i:07}"),
            "status": "active",
            "tags": [POOL_TAG],
            "connection_id": "2718281828459045235",
            "connection_name": "vapi-sip",
            "customer_reference": null,
            "phone_number_type": "local",
            "country_iso_alpha2": "US",
            "purchased_at": "2026-11-18T15:00:00.000Z",
            "created_at": "2026-11-18T15:00:00.000Z",
            "updated_at": "2026-11-18T15:00:00.000Z",
            "deletion_lock_enabled": false,
        }))
    };
    Account {
        telnyx_numbers: (0..size).map(number).collect(),
        ..Account::default()
    }
}

/// What one run of the binary cost.
struct Measured {
    wall: Duration,
    /// The child's user + system time.
    cpu: Duration,
    /// Requests by method (`GET`, `POST`, ...), from the simulator's counts.
    by_method: BTreeMap<String, u64>,
    /// Requests by route, e.g. `GET /assistant`.
    by_route: BTreeMap<String, u64>,
    /// 429s the simulator answered.
    throttled: u64,
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

    /// Writes the simulator answered with anything but a 429.
    fn writes(&self) -> u64 {
        self.count("POST") + self.count("PATCH") + self.count("DELETE")
    }

    /// The requests by route, e.g. `GET /assistant 10, GET /phone-number 10`.
    fn routes(&self) -> String {
        let routes: Vec<String> = self
            .by_route
            .iter()
            .map(|(route, n)| format!("{route} {n}"))
            .collect();
        routes.join(", ")
    }
}

/// A running child being watched: its peak memory polled, and what it has cost so far.
struct Watched {
    child: std::process::Child,
    started: Instant,
    cpu_before: Duration,
    before: Stats,
    peak_kib: u64,
}

impl Watched {
    /// Starts `vapiform --api-url URL --telnyx-url URL ARGS...` (Vapi and Telnyx both the
    /// simulator's address), or `vapiform ARGS...` without a simulator, with its output in `log`.
    fn spawn(sim: Option<&sim::Running>, args: &[&str], log: &Path) -> Self {
        let before = sim.map(sim::Running::stats).unwrap_or_default();
        let output = File::create(log).expect("create the log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_vapiform"));
        if let Some(sim) = sim {
            let url = sim.url();
            command.args(["--api-url", &url, "--telnyx-url", &url]);
        }
        let cpu_before = children_cpu();
        let started = Instant::now();
        let child = command
            .args(args)
            .env("VAPI_API_KEY", "bench")
            .env("TELNYX_API_KEY", "bench")
            .env("HOOK_TOKEN", HOOK_TOKEN)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("clone the log file"))
            .stderr(output)
            .spawn()
            .expect("spawn vapiform");
        Self {
            child,
            started,
            cpu_before,
            before,
            peak_kib: 0,
        }
    }

    /// Reads the peak memory once; `Some` with the exit status once the child has ended.
    fn poll(&mut self) -> Option<std::process::ExitStatus> {
        let status_file = PathBuf::from(format!("/proc/{}/status", self.child.id()));
        if let Some(kib) = std::fs::read_to_string(status_file)
            .ok()
            .as_deref()
            .and_then(high_water_mark)
        {
            self.peak_kib = self.peak_kib.max(kib);
        }
        self.child.try_wait().expect("wait for vapiform")
    }

    /// Sends SIGINT, as a user's ctrl-c would.
    fn interrupt(&self) {
        let sent = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -INT failed");
    }

    /// Waits for the end, polling memory every 2 ms; the requests are those `sim` counted.
    fn finish(mut self, sim: Option<&sim::Running>) -> Measured {
        let status = loop {
            if let Some(status) = self.poll() {
                break status;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let wall = self.started.elapsed();
        let cpu = children_cpu().saturating_sub(self.cpu_before);
        let after = sim.map(sim::Running::stats).unwrap_or_default();
        let by_route = difference(&self.before, &after);
        let mut by_method = BTreeMap::new();
        for (route, n) in &by_route {
            let method = route.split_once(' ').map_or(route.as_str(), |(m, _)| m);
            *by_method.entry(method.to_owned()).or_default() += n;
        }
        Measured {
            wall,
            cpu,
            by_method,
            by_route,
            throttled: after.injected.rate_limited - self.before.injected.rate_limited,
            peak_kib: self.peak_kib,
            code: status.code(),
        }
    }
}

/// Runs `vapiform ARGS...` to its end, against `sim` if given (see [`Watched::spawn`]).
fn run(sim: Option<&sim::Running>, args: &[&str], log: &Path) -> Measured {
    Watched::spawn(sim, args, log).finish(sim)
}

/// The least, the median and the greatest of the runs' figures.
struct Spread<T> {
    min: T,
    median: T,
    max: T,
}

impl<T: Ord + Copy> Spread<T> {
    /// Of at least one figure; of an even count, the median is the greater of the middle two.
    fn of(figures: impl IntoIterator<Item = T>) -> Self {
        let mut sorted: Vec<T> = figures.into_iter().collect();
        sorted.sort_unstable();
        Self {
            min: sorted[0],
            median: sorted[sorted.len() / 2],
            max: sorted[sorted.len() - 1],
        }
    }
}

impl Spread<Duration> {
    /// `min / median / max` in seconds.
    fn seconds(&self) -> String {
        format!(
            "{:.2} / {:.2} / {:.2}",
            self.min.as_secs_f64(),
            self.median.as_secs_f64(),
            self.max.as_secs_f64()
        )
    }
}

impl Spread<u64> {
    /// `min / median / max` of figures in KiB, in MiB.
    fn mebibytes(&self) -> String {
        let mib = |kib: u64| float(kib) / 1024.0;
        format!(
            "{:.1} / {:.1} / {:.1}",
            mib(self.min),
            mib(self.median),
            mib(self.max)
        )
    }
}

/// The same command run several times, each with its own log.
struct Runs(Vec<(PathBuf, Measured)>);

impl Runs {
    /// Runs `once` `times` times, the `i`-th (from 1) logging to `dir/NAME-i.log`.
    fn repeat(
        times: usize,
        dir: &Path,
        name: &str,
        mut once: impl FnMut(&Path) -> Measured,
    ) -> Self {
        Self(
            (1..=times)
                .map(|i| {
                    let log = dir.join(format!("{name}-{i}.log"));
                    let measured = once(&log);
                    (log, measured)
                })
                .collect(),
        )
    }

    fn first(&self) -> &Measured {
        &self.0[0].1
    }

    fn measured(&self) -> impl Iterator<Item = &Measured> {
        self.0.iter().map(|(_, m)| m)
    }

    fn wall(&self) -> Spread<Duration> {
        Spread::of(self.measured().map(|m| m.wall))
    }

    fn cpu(&self) -> Spread<Duration> {
        Spread::of(self.measured().map(|m| m.cpu))
    }

    fn peak_kib(&self) -> Spread<u64> {
        Spread::of(self.measured().map(|m| m.peak_kib))
    }

    /// The median peak in MiB.
    fn peak_mib(&self) -> f64 {
        float(self.peak_kib().median) / 1024.0
    }

    /// Checks the median wall time and peak against `seconds` and `mib`, naming them `name`.
    fn check_budget(&self, name: &str, (seconds, mib): (f64, f64), results: &mut Results) {
        let wall = self.wall().median.as_secs_f64();
        results.check(
            format!("{name}: median wall <= {seconds} s"),
            wall <= seconds,
            format!("{wall:.2} s (CPU {:.2} s)", self.cpu().median.as_secs_f64()),
        );
        results.check(
            format!("{name}: median peak RSS <= {mib} MiB"),
            self.peak_mib() <= mib,
            format!("{:.1} MiB", self.peak_mib()),
        );
    }

    /// The most requests one run sent.
    fn requests(&self) -> u64 {
        self.measured().map(Measured::total).max().unwrap_or(0)
    }

    /// Whether every run exited with `code`, and the first that did not (or how many did).
    fn exited(&self, code: i32) -> (bool, String) {
        match self.0.iter().find(|(_, m)| m.code != Some(code)) {
            Some((log, m)) => (false, outcome(m.code, log)),
            None => (true, format!("exit {code} in all {} runs", self.0.len())),
        }
    }

    /// `| runs | wall s | CPU s | peak RSS MiB |`, each min / median / max: the cells every
    /// table of runs starts with.
    fn cells(&self) -> String {
        format!(
            "| {} | {} | {} | {} |",
            self.0.len(),
            self.wall().seconds(),
            self.cpu().seconds(),
            self.peak_kib().mebibytes()
        )
    }
}

/// User + system time of this process's reaped children (`/proc/self/stat` fields 16 and 17,
/// in clock ticks of 10 ms, Linux's `USER_HZ`).
fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("read /proc/self/stat");
    // The command name may hold spaces; the fields after it are space-separated numbers.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    // Field 3 (state) is fields[0], so field k is fields[k - 3].
    let ticks = |k: usize| fields.get(k - 3).and_then(|f| f.parse::<u64>().ok());
    let total = ticks(16).unwrap_or(0) + ticks(17).unwrap_or(0);
    Duration::from_millis(total * 10)
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

/// An exit code, with the log to read when it is not the one expected.
fn outcome(code: Option<i32>, log: &Path) -> String {
    match code {
        Some(code) => format!("exit {code}, log {}", log.display()),
        None => format!("killed by a signal, log {}", log.display()),
    }
}

/// `count` as a float, for rates and ratios (exact below 2^53).
#[allow(clippy::cast_precision_loss)]
fn float(count: u64) -> f64 {
    count as f64
}

fn count(n: usize) -> u64 {
    u64::try_from(n).expect("fits u64")
}

/// A target with its verdict.
struct Verdict {
    target: String,
    pass: Option<bool>,
    /// Whether a failure means the run measured nothing worth reading (an apply that did not
    /// converge), rather than a missed performance target.
    required: bool,
    detail: String,
}

/// Everything a run found: the tables' rows and the verdicts.
#[derive(Default)]
struct Results {
    plans: Vec<PlanRow>,
    /// validate of `VALIDATE_SIZE` businesses.
    validate: Option<Runs>,
    /// `numbers --free` over a pool of this many carrier numbers.
    numbers: Option<(usize, Runs)>,
    applies: Vec<ApplyRow>,
    onboarding: Option<(Duration, Measured)>,
    verdicts: Vec<Verdict>,
}

/// One plan size measured: the plan's runs and its floor's.
struct PlanRow {
    size: usize,
    runs: Runs,
    /// The time to fetch and parse every page the plan reads (see [`floor`]).
    floor: Spread<Duration>,
}

/// One apply measured.
struct ApplyRow {
    label: String,
    size: usize,
    changes: usize,
    /// The simulator's rate limit, if any.
    limit: Option<f64>,
    measured: Measured,
}

impl Results {
    /// A target or a correctness check (a plan not empty, an apply that did not converge);
    /// missing either makes the benchmark exit non-zero.
    /// A performance target.
    fn check(&mut self, target: String, pass: bool, detail: String) {
        self.verdicts.push(Verdict {
            target,
            pass: Some(pass),
            required: false,
            detail,
        });
    }

    /// Something the run itself needs to be right, whatever the sizes.
    fn require(&mut self, target: String, pass: bool, detail: String) {
        self.verdicts.push(Verdict {
            target,
            pass: Some(pass),
            required: true,
            detail,
        });
    }

    fn skip(&mut self, target: &str, why: &str) {
        self.verdicts.push(Verdict {
            target: target.to_owned(),
            pass: None,
            required: false,
            detail: why.to_owned(),
        });
    }

    /// How many targets were missed, and how many of those the run needed to be right.
    fn missed(&self) -> (usize, usize) {
        let failed = self.verdicts.iter().filter(|v| v.pass == Some(false));
        (
            failed.clone().count(),
            failed.filter(|v| v.required).count(),
        )
    }
}

/// Starts a simulator serving `account` with the benchmark's latency.
fn start(
    runtime: &tokio::runtime::Runtime,
    account: Account,
    rate_limit: Option<f64>,
) -> sim::Running {
    runtime
        .block_on(sim::start(sim::Options {
            account: Some(account),
            latency: LATENCY,
            rate_limit,
            ..sim::Options::default()
        }))
        .expect("start the simulator")
}

/// Writes `text` to `dir/name` and returns the path as a string.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a bench file");
    path.to_str().expect("a UTF-8 temp path").to_owned()
}

/// Plans the unchanged account of `size` businesses `times` times against one simulator, then
/// measures the plan's floor as many times against the same simulator.
fn measure_plan(
    size: usize,
    times: usize,
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    results: &mut Results,
) {
    let fleet = Fleet::new(size);
    let (yaml, _) = fleet.desired(None);
    let file = write(dir, &format!("vapiform-{size}.yaml"), &yaml);
    let sim = start(runtime, fleet.account(), None);
    let runs = Runs::repeat(times, dir, &format!("plan-{size}"), |log| {
        run(
            Some(&sim),
            &[
                "plan",
                "-f",
                &file,
                "--format",
                "json",
                "--detailed-exitcode",
            ],
            log,
        )
    });
    let floor = Spread::of((0..times).map(|_| floor(runtime, &sim, size)));
    runtime.block_on(sim.shutdown());
    let (empty, detail) = runs.exited(0);
    results.require(
        format!("plan {size}: the unchanged account plans empty"),
        empty,
        detail,
    );
    let limit = 2 * size.div_ceil(1000) + 4;
    results.check(
        format!("plan {size}: requests <= ceil(numbers/1000) + ceil(assistants/1000) + 4"),
        runs.requests() <= count(limit),
        format!("{} <= {limit}", runs.requests()),
    );
    if let Some(&(_, seconds, mib)) = PLAN_TARGETS.iter().find(|(s, ..)| *s == size) {
        let wall = runs.wall().median.as_secs_f64();
        runs.check_budget(&format!("plan {size}"), (seconds, mib), results);
        let floor = floor.median.as_secs_f64();
        results.check(
            format!("plan {size}: median wall <= {FLOOR_FACTOR} x the floor's"),
            wall <= floor * FLOOR_FACTOR,
            format!("{wall:.2} s, floor {floor:.2} s, ratio {:.2}", wall / floor),
        );
    }
    results.plans.push(PlanRow { size, runs, floor });
}

/// The floor of a plan of the `size` businesses `sim` serves: the time a fresh client at plan's
/// pace takes to read (fetch and parse) the numbers and the assistants at once, as plan reads
/// them. The reads run on this thread (`block_on`), the simulator on the runtime's workers.
fn floor(runtime: &tokio::runtime::Runtime, sim: &sim::Running, size: usize) -> Duration {
    runtime.block_on(async {
        let mut settings = Settings::new(sim.url(), ApiKey::new("bench"));
        settings.rps = 0.0;
        settings.concurrency = READ_CONCURRENCY;
        let client = Client::new(&settings).expect("a client of the simulator");
        let started = Instant::now();
        let (numbers, assistants) =
            tokio::try_join!(client.list_numbers(), client.list_assistants())
                .expect("read the simulator's account");
        let elapsed = started.elapsed();
        assert_eq!(
            (numbers.len(), assistants.len()),
            (size, size),
            "the floor read the whole account"
        );
        elapsed
    })
}

/// Plan's median peak grows by at most `GROWTH_KIB` a business from 10,000 to 50,000.
fn check_growth(results: &mut Results) {
    let target = format!("plan memory grows <= {GROWTH_KIB} KiB a business from 10,000 to 50,000");
    let peak = |size: usize| {
        results
            .plans
            .iter()
            .find(|row| row.size == size)
            .map(|row| float(row.runs.peak_kib().median))
    };
    let (Some(small), Some(large)) = (peak(10_000), peak(50_000)) else {
        results.skip(&target, "needs both 10,000 and 50,000");
        return;
    };
    let growth = (large - small) / 40_000.0;
    results.check(
        target,
        growth <= GROWTH_KIB,
        format!(
            "{growth:.2} KiB a business (median peaks {:.1} and {:.1} MiB)",
            small / 1024.0,
            large / 1024.0
        ),
    );
}

/// Validates the file of `VALIDATE_SIZE` businesses `VALIDATE_RUNS` times, no simulator.
fn measure_validate(dir: &Path, results: &mut Results) {
    let (yaml, _) = Fleet::new(VALIDATE_SIZE).desired(None);
    let file = write(dir, &format!("validate-{VALIDATE_SIZE}.yaml"), &yaml);
    let runs = Runs::repeat(VALIDATE_RUNS, dir, "validate", |log| {
        run(None, &["validate", "-f", &file], log)
    });
    let (valid, detail) = runs.exited(0);
    results.require(
        format!("validate {VALIDATE_SIZE}: the file is valid"),
        valid,
        detail,
    );
    let wall = runs.wall().median;
    results.check(
        format!(
            "validate {VALIDATE_SIZE}: median wall <= {} s",
            VALIDATE_TARGET.as_secs_f64()
        ),
        wall <= VALIDATE_TARGET,
        format!(
            "{:.2} s (CPU {:.2} s)",
            wall.as_secs_f64(),
            runs.cpu().median.as_secs_f64()
        ),
    );
    results.validate = Some(runs);
}

/// Lists the free numbers of a carrier pool of `size` numbers `NUMBERS_RUNS` times against one
/// simulator; the targets are checked for a pool of `POOL` only.
fn measure_numbers(
    size: usize,
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    results: &mut Results,
) {
    let file = write(dir, "carrier.yaml", &pool_file());
    let sim = start(runtime, pool(size), None);
    let runs = Runs::repeat(NUMBERS_RUNS, dir, &format!("numbers-{size}"), |log| {
        run(Some(&sim), &["numbers", "-f", &file, "--free"], log)
    });
    runtime.block_on(sim.shutdown());
    let name = format!("numbers --free, pool of {size}");
    let (listed, detail) = runs.exited(0);
    results.require(format!("{name}: exits 0"), listed, detail);
    // The text ends with the count of the numbers listed.
    let total = format!("{size} numbers");
    let short = runs.0.iter().find(|(log, _)| {
        !std::fs::read_to_string(log).is_ok_and(|text| text.lines().any(|line| line == total))
    });
    results.require(
        format!("{name}: lists every number free"),
        short.is_none(),
        short.map_or_else(
            || format!("\"{total}\" in all {} runs", runs.0.len()),
            |(log, _)| format!("no line \"{total}\", log {}", log.display()),
        ),
    );
    if size == POOL {
        runs.check_budget(&name, (NUMBERS_WALL, NUMBERS_PEAK_MIB), results);
    } else {
        results.skip(
            &format!("numbers --free, pool of {POOL}: wall and peak RSS"),
            &format!("a pool of {size} with --quick"),
        );
    }
    results.numbers = Some((size, runs));
}

/// Applies the changes of every `CHANGE_EVERY`-th business of a `size` account at `--rps 50`,
/// against a simulator limited to `limit` requests a second if given, then plans again.
fn measure_apply(
    size: usize,
    limit: Option<f64>,
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    results: &mut Results,
) {
    let fleet = Fleet::new(size);
    let (yaml, changes) = fleet.desired(Some(CHANGE_EVERY));
    let label = if limit.is_some() {
        "apply, server limit rps/4"
    } else {
        "apply"
    };
    let tag = format!("{size}{}", if limit.is_some() { "-429" } else { "" });
    let file = write(dir, &format!("vapiform-{tag}-changed.yaml"), &yaml);
    let sim = start(runtime, fleet.account(), limit);
    let log = dir.join(format!("apply-{tag}.log"));
    let rps = RPS.to_string();
    let concurrency = CONCURRENCY.to_string();
    let apply = run(
        Some(&sim),
        &[
            "apply",
            "-f",
            &file,
            "--yes",
            "--rps",
            &rps,
            "--concurrency",
            &concurrency,
        ],
        &log,
    );
    let after_log = dir.join(format!("replan-{tag}.log"));
    let replan = run(
        Some(&sim),
        &["plan", "-f", &file, "--detailed-exitcode"],
        &after_log,
    );
    runtime.block_on(sim.shutdown());

    let name = format!("{label} {size}, {changes} changes");
    results.require(
        format!("{name}: converged"),
        apply.code == Some(0),
        outcome(apply.code, &log),
    );
    results.require(
        format!("{name}: plan afterwards is empty"),
        replan.code == Some(0),
        outcome(replan.code, &after_log),
    );
    // A 429 is counted by its route too; those writes were not acted on.
    let writes = apply.writes();
    let acted = if limit.is_some() {
        writes.saturating_sub(apply.throttled)
    } else {
        writes
    };
    results.require(
        format!("{name}: one write per change"),
        acted <= count(changes) && writes >= count(changes),
        format!(
            "{writes} writes ({} 429s in all) for {changes} changes",
            apply.throttled
        ),
    );
    let wall = apply.wall.as_secs_f64();
    match limit {
        None => {
            let reads = apply.count("GET");
            let budget = READS_PER_1000 * count(changes).div_ceil(1000);
            results.check(
                format!("{name}: reads <= {budget}, the account's read included"),
                reads <= budget,
                format!("{reads} reads"),
            );
            let bound = float(writes) / RPS;
            results.check(
                format!("{name}: wall <= {APPLY_SLACK} x writes / rps"),
                wall <= bound * APPLY_SLACK,
                format!(
                    "{wall:.2} s, writes / rps = {bound:.2} s, ratio {:.2}",
                    wall / bound
                ),
            );
        }
        Some(limit) => {
            let ideal = float(apply.total() - apply.throttled) / limit;
            results.check(
                format!("{name}: converged within 1.5 x the ideal at the real limit"),
                wall <= ideal * 1.5,
                format!(
                    "{wall:.2} s, {} requests answered / {limit} rps = {ideal:.2} s, ratio {:.2}; {} 429s",
                    apply.total() - apply.throttled,
                    wall / ideal,
                    apply.throttled
                ),
            );
        }
    }
    results.applies.push(ApplyRow {
        label: label.to_owned(),
        size,
        changes,
        limit,
        measured: apply,
    });
}

/// Onboards `ONBOARD` businesses at `--rps 10`: the time from starting apply to the first
/// number routed, as the simulator saw it; then interrupts the apply.
fn measure_onboarding(runtime: &tokio::runtime::Runtime, dir: &Path, results: &mut Results) {
    let fleet = Fleet::new(ONBOARD);
    let (yaml, _) = fleet.desired(None);
    let file = write(dir, "vapiform-onboard.yaml", &yaml);
    let sim = start(runtime, fleet.unrouted(), None);
    let log = dir.join("onboard.log");
    let rps = ONBOARD_RPS.to_string();
    let spawned = SystemTime::now();
    let mut watched = Watched::spawn(
        Some(&sim),
        &["apply", "-f", &file, "--yes", "--rps", &rps],
        &log,
    );
    // Long enough to see the first route even when every assistant is created first.
    let deadline =
        Instant::now() + Duration::from_secs_f64(1.5 * float(count(ONBOARD)) / ONBOARD_RPS);
    let first = loop {
        if let Some(at) = sim.stats().first_routed {
            break Some(at);
        }
        if watched.poll().is_some() || Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if watched.poll().is_none() {
        watched.interrupt();
    }
    let measured = watched.finish(Some(&sim));
    runtime.block_on(sim.shutdown());
    let Some(first) = first else {
        results.require(
            format!("onboarding {ONBOARD}: a number is routed"),
            false,
            outcome(measured.code, &log),
        );
        return;
    };
    let routed_at = SystemTime::UNIX_EPOCH + Duration::from_millis(first);
    let elapsed = routed_at.duration_since(spawned).unwrap_or_default();
    results.check(
        format!(
            "onboarding {ONBOARD} at --rps {ONBOARD_RPS}: first number routed within {} s",
            FIRST_ROUTE.as_secs()
        ),
        elapsed <= FIRST_ROUTE,
        format!("{:.2} s", elapsed.as_secs_f64()),
    );
    results.require(
        format!("onboarding {ONBOARD}: interrupted apply exits 130"),
        measured.code == Some(130),
        outcome(measured.code, &log),
    );
    results.onboarding = Some((elapsed, measured));
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

/// The plan table: each figure min / median / max of the runs, with the floor's.
fn plan_table(plans: &[PlanRow]) -> String {
    let mut out = String::from(
        "| businesses | runs | wall s | CPU s | peak RSS MiB | floor s | median wall / floor | requests a run |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in plans {
        let ratio = row.runs.wall().median.as_secs_f64() / row.floor.median.as_secs_f64();
        let _ = writeln!(
            out,
            "| {} {} {} | {ratio:.2} | {} |",
            row.size,
            row.runs.cells(),
            row.floor.seconds(),
            row.runs.requests()
        );
    }
    out
}

/// The table of the other commands run several times: validate and numbers.
fn commands_table(results: &Results) -> String {
    let mut out = String::from(
        "| command | runs | wall s | CPU s | peak RSS MiB | requests a run |\n|---|---:|---:|---:|---:|---:|\n",
    );
    if let Some(runs) = &results.validate {
        let _ = writeln!(
            out,
            "| validate, {VALIDATE_SIZE} businesses {} {} |",
            runs.cells(),
            runs.requests()
        );
    }
    if let Some((size, runs)) = &results.numbers {
        let _ = writeln!(
            out,
            "| numbers --free, carrier pool of {size} {} {} |",
            runs.cells(),
            runs.requests()
        );
    }
    out
}

/// The apply table.
fn apply_table(applies: &[ApplyRow]) -> String {
    let mut out = String::from(
        "| run | businesses | changes | server limit rps | wall s | CPU s | requests | GET | POST | PATCH | DELETE | 429s | ideal s | wall / ideal |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in applies {
        let m = &row.measured;
        // Without a server limit the ideal is the writes at --rps; with one, every answered
        // request at the server's limit.
        let ideal = match row.limit {
            None => float(m.writes()) / RPS,
            Some(limit) => float(m.total() - m.throttled) / limit,
        };
        let wall = m.wall.as_secs_f64();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {wall:.2} | {:.2} | {} | {} | {} | {} | {} | {} | {ideal:.2} | {:.2} |",
            row.label,
            row.size,
            row.changes,
            row.limit.map_or("–".to_owned(), |l| format!("{l}")),
            m.cpu.as_secs_f64(),
            m.total(),
            m.count("GET"),
            m.count("POST"),
            m.count("PATCH"),
            m.count("DELETE"),
            m.throttled,
            wall / ideal,
        );
    }
    out
}

/// `--emit DIR` with `--size N` (the desired files and the simulator's state files of N
/// businesses) and/or `--carrier N` (the carrier pool of N numbers and its desired file), for
/// profiling by hand.
fn emit(args: &[String]) -> ExitCode {
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    let number = |flag: &str| value(flag).map(|n| n.parse::<usize>());
    let (Some(dir), size, carrier) = (value("--emit"), number("--size"), number("--carrier"))
    else {
        eprintln!("usage: cargo bench --bench scale -- --emit DIR [--size N] [--carrier N]");
        return ExitCode::FAILURE;
    };
    let (Ok(size), Ok(carrier)) = (size.transpose(), carrier.transpose()) else {
        eprintln!("--size takes a number of businesses, --carrier a number of numbers");
        return ExitCode::FAILURE;
    };
    if size.is_none() && carrier.is_none() {
        eprintln!("--emit needs --size N, --carrier N or both");
        return ExitCode::FAILURE;
    }
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir).expect("create the output directory");
    if let Some(size) = size {
        let fleet = Fleet::new(size);
        for (name, every) in [("vapiform", None), ("vapiform-changed", Some(CHANGE_EVERY))] {
            let (yaml, _) = fleet.desired(every);
            write(dir, &format!("{name}-{size}.yaml"), &yaml);
        }
        for (name, account) in [("account", fleet.account()), ("unrouted", fleet.unrouted())] {
            let state = serde_json::to_string(&account).expect("the account as JSON");
            write(dir, &format!("{name}-{size}.json"), &state);
        }
        eprintln!(
            "wrote {0}/vapiform-{size}.yaml, {0}/vapiform-changed-{size}.yaml, {0}/account-{size}.json \
             and {0}/unrouted-{size}.json (before an onboarding); HOOK_TOKEN={HOOK_TOKEN}",
            dir.display()
        );
    }
    if let Some(carrier) = carrier {
        let state = serde_json::to_string(&pool(carrier)).expect("the pool as JSON");
        write(dir, &format!("carrier-{carrier}.json"), &state);
        write(dir, "carrier.yaml", &pool_file());
        eprintln!(
            "wrote {0}/carrier-{carrier}.json (a simulator's state: {carrier} Telnyx numbers tagged \
             {POOL_TAG}) and {0}/carrier.yaml (its desired file); list them with \
             `vapiform --api-url URL --telnyx-url URL numbers -f {0}/carrier.yaml --free`",
            dir.display()
        );
    }
    ExitCode::SUCCESS
}

#[expect(
    clippy::too_many_lines,
    reason = "the benchmark's steps, in the order they run"
)]
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--emit") {
        return emit(&args);
    }
    let quick = args.iter().any(|arg| arg == "--quick");
    // Multi-threaded: the simulator serves from the worker threads, whatever this thread is
    // doing (waiting for a child, or reading the account for a floor).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut results = Results::default();
    let (plan_sizes, pool_size, apply_size) = if quick {
        (QUICK_PLAN_SIZES, QUICK_POOL, QUICK_APPLY_SIZE)
    } else {
        (PLAN_SIZES, POOL, APPLY_SIZE)
    };
    for &(size, times) in plan_sizes {
        eprintln!("scale: plan of {size} businesses, {times} runs ...");
        measure_plan(size, times, &runtime, dir.path(), &mut results);
    }
    if quick {
        results.skip("plan 50000: wall and peak RSS", "not run with --quick");
    }
    check_growth(&mut results);
    eprintln!("scale: validate of {VALIDATE_SIZE} businesses, {VALIDATE_RUNS} runs ...");
    measure_validate(dir.path(), &mut results);
    eprintln!("scale: numbers over a carrier pool of {pool_size}, {NUMBERS_RUNS} runs ...");
    measure_numbers(pool_size, &runtime, dir.path(), &mut results);
    eprintln!("scale: apply to {apply_size} businesses ...");
    measure_apply(apply_size, None, &runtime, dir.path(), &mut results);
    eprintln!("scale: apply to {apply_size} businesses, server limited to rps/4 ...");
    measure_apply(
        apply_size,
        Some(RPS * LIMIT_SHARE),
        &runtime,
        dir.path(),
        &mut results,
    );
    eprintln!("scale: onboarding of {ONBOARD} businesses ...");
    measure_onboarding(&runtime, dir.path(), &mut results);

    println!("## Scale benchmark\n");
    println!("Machine: {}", machine());
    println!(
        "Simulator in-process, {} ms latency. One assistant: {} bytes of JSON.\n",
        LATENCY.as_millis(),
        Fleet::new(1).assistant_bytes()
    );
    println!(
        "Plan of an unchanged account (min / median / max of the runs; the floor is the time to fetch and parse the pages the plan reads, in-process):\n"
    );
    println!("{}", plan_table(&results.plans));
    println!("validate alone, and numbers over a carrier pool (min / median / max):\n");
    println!("{}", commands_table(&results));
    println!(
        "Apply with --rps {RPS} --concurrency {CONCURRENCY} (every {CHANGE_EVERY}th business changed):\n"
    );
    println!("{}", apply_table(&results.applies));
    if let Some((first, m)) = &results.onboarding {
        println!(
            "Onboarding of {ONBOARD} businesses at --rps {ONBOARD_RPS}: first number routed after {:.2} s; interrupted after {:.2} s, {} requests ({} POST, {} PATCH, {} GET).\n",
            first.as_secs_f64(),
            m.wall.as_secs_f64(),
            m.total(),
            m.count("POST"),
            m.count("PATCH"),
            m.count("GET"),
        );
    }
    println!("Requests by route (of the first run, where there are several):\n");
    for row in &results.plans {
        println!("- plan {}: {}", row.size, row.runs.first().routes());
    }
    if let Some((size, runs)) = &results.numbers {
        println!("- numbers, pool of {size}: {}", runs.first().routes());
    }
    for row in &results.applies {
        println!("- {} {}: {}", row.label, row.size, row.measured.routes());
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
    let (missed, broken) = results.missed();
    if missed > 0 && broken == 0 && quick {
        eprintln!(
            "scale: {missed} target(s) missed at the quick sizes (FAIL above); only a full run enforces them"
        );
    } else if missed > 0 {
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
