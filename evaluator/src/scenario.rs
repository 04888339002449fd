//! Scenarios: YAML files describing a task for an agent, the world it starts in, the
//! faults it meets and how its result is judged. The JSON Schema is
//! `evaluator/scenario.schema.json`; this module is the authority on semantics.
//!
//! Loading reports every problem of every file as `file:line:column: problem` and
//! nothing runs until all scenarios load.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use twin_core::chaos::{RuleSet, RuleSpec};

use crate::query::{valid_binding_name, Query};

/// Bounds on what one scenario and one load may hold.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
pub const MAX_FILES: usize = 10_000;
pub const MAX_DEPTH: usize = 8;
pub const MAX_REPETITIONS: u32 = 1_000;
pub const MAX_TIMEOUT_S: f64 = 3_600.0;
pub const MAX_CHECKS: usize = 200;
pub const MAX_SETUP_STEPS: usize = 500;
pub const MAX_CHAOS_RULES: usize = 100;
pub const DEFAULT_REPETITIONS: u32 = 3;
pub const DEFAULT_TIMEOUT_S: f64 = 120.0;

/// The services a scenario may name (twins that exist or are planned).
pub const SERVICES: [&str; 4] = ["slack", "okta", "jira", "google"];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Failure details may be shown to whoever builds the agent.
    #[default]
    Dev,
    /// Only aggregate satisfaction and failing tags may be shown.
    Holdout,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Unique among the scenarios of a run: 1-100 of a-z, 0-9, '-', '_', '.'.
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub split: Split,
    /// A fixture name known to the server, or an inline fixture. Default: `default`.
    #[serde(default)]
    pub fixture: Option<FixtureSpec>,
    /// Seed of the universe's id and token generator.
    #[serde(default)]
    pub seed: Option<u64>,
    /// The universe clock at the start of every run.
    #[serde(default)]
    pub clock: Option<ClockSpec>,
    /// Extra state: control-plane or twin calls made once, before the `prepared` snapshot.
    #[serde(default)]
    pub setup: Vec<SetupStep>,
    /// Named JMESPath queries over the prepared state, usable as `{{name}}` in checks
    /// (and, evaluated before setup, in setup bodies).
    #[serde(default)]
    pub bindings: BTreeMap<String, Query>,
    /// What the agent is asked to do (its stdin and `DTU_PROMPT`).
    pub intent: String,
    /// Control-plane chaos rules, installed in every run's universe.
    #[serde(default)]
    pub chaos: Vec<RuleSpec>,
    pub checks: Vec<Check>,
    #[serde(default = "default_repetitions")]
    pub repetitions: u32,
    #[serde(default = "default_timeout")]
    pub timeout_s: f64,
    /// A reference agent command that must satisfy the scenario every time.
    #[serde(default)]
    pub gold: Option<String>,
}

fn default_repetitions() -> u32 {
    DEFAULT_REPETITIONS
}

fn default_timeout() -> f64 {
    DEFAULT_TIMEOUT_S
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FixtureSpec {
    Name(String),
    Inline(serde_json::Map<String, Value>),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSpec {
    pub start: chrono::DateTime<chrono::Utc>,
    /// A frozen clock stands still unless advanced (no Retry-After checks then).
    #[serde(default)]
    pub frozen: bool,
}

/// One setup step: exactly one of `control` and `call`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "RawSetupStep", into = "RawSetupStep")]
pub enum SetupStep {
    /// A control-plane call relative to `/_dtu/universes/{u}/`.
    Control(ControlCall),
    /// A call to a twin with one of the universe's credentials.
    Call(TwinCall),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSetupStep {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<ControlCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<TwinCall>,
}

impl TryFrom<RawSetupStep> for SetupStep {
    type Error = String;

    fn try_from(raw: RawSetupStep) -> Result<Self, String> {
        match (raw.control, raw.call) {
            (Some(c), None) => Ok(SetupStep::Control(c)),
            (None, Some(t)) => Ok(SetupStep::Call(t)),
            _ => Err("a setup step takes exactly one of control, call".into()),
        }
    }
}

impl From<SetupStep> for RawSetupStep {
    fn from(s: SetupStep) -> Self {
        match s {
            SetupStep::Control(c) => RawSetupStep { control: Some(c), call: None },
            SetupStep::Call(t) => RawSetupStep { control: None, call: Some(t) },
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlCall {
    #[serde(default = "default_post")]
    pub method: HttpMethod,
    pub path: String,
    #[serde(default)]
    pub body: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwinCall {
    pub service: String,
    #[serde(default = "default_post")]
    pub method: HttpMethod,
    /// Relative to the service's base URL (Slack: `chat.postMessage`; Okta: `api/v1/users`).
    pub path: String,
    /// Which credential: slack `bot` (default) | `user` | `app`; okta `api` (default).
    #[serde(default, rename = "as")]
    pub as_: Option<String>,
    /// A JSON body.
    #[serde(default)]
    pub body: Option<Value>,
    /// A form body (application/x-www-form-urlencoded).
    #[serde(default)]
    pub form: Option<BTreeMap<String, String>>,
}

fn default_post() -> HttpMethod {
    HttpMethod::Post
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    pub fn as_reqwest(self) -> reqwest::Method {
        match self {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Patch => reqwest::Method::PATCH,
            HttpMethod::Delete => reqwest::Method::DELETE,
        }
    }
}

/// One check: exactly one of `state`, `collateral`, `trajectory`, `rubric`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "RawCheck", into = "RawCheck")]
pub struct Check {
    /// Given, or `<kind>-<n>` (n counts from 1 in the file).
    pub id: String,
    pub description: Option<String>,
    pub kind: CheckKind,
}

#[derive(Debug, Clone)]
pub enum CheckKind {
    State(StateCheck),
    Collateral(CollateralCheck),
    Trajectory(TrajectoryCheck),
    Rubric(String),
}

impl CheckKind {
    pub fn name(&self) -> &'static str {
        match self {
            CheckKind::State(_) => "state",
            CheckKind::Collateral(_) => "collateral",
            CheckKind::Trajectory(_) => "trajectory",
            CheckKind::Rubric(_) => "rubric",
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheck {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<StateCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collateral: Option<CollateralCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trajectory: Option<TrajectoryCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rubric: Option<String>,
}

impl TryFrom<RawCheck> for Check {
    type Error = String;

    fn try_from(raw: RawCheck) -> Result<Self, String> {
        let mut kinds = Vec::new();
        if let Some(s) = raw.state {
            kinds.push(CheckKind::State(s));
        }
        if let Some(c) = raw.collateral {
            kinds.push(CheckKind::Collateral(c));
        }
        if let Some(t) = raw.trajectory {
            kinds.push(CheckKind::Trajectory(t));
        }
        if let Some(r) = raw.rubric {
            if r.trim().is_empty() {
                return Err("rubric must not be empty".into());
            }
            kinds.push(CheckKind::Rubric(r));
        }
        if kinds.len() != 1 {
            return Err(format!(
                "a check takes exactly one of state, collateral, trajectory, rubric (found {})",
                kinds.len()
            ));
        }
        if let Some(id) = &raw.id {
            if !valid_id(id) {
                return Err(format!("check id {id:?} must be 1-100 characters of a-z, A-Z, 0-9, '-', '_', '.'"));
            }
        }
        let kind = kinds.remove(0);
        Ok(Check { id: raw.id.unwrap_or_default(), description: raw.description, kind })
    }
}

impl From<Check> for RawCheck {
    fn from(c: Check) -> RawCheck {
        let mut raw = RawCheck { id: Some(c.id), description: c.description, ..Default::default() };
        match c.kind {
            CheckKind::State(s) => raw.state = Some(s),
            CheckKind::Collateral(x) => raw.collateral = Some(x),
            CheckKind::Trajectory(t) => raw.trajectory = Some(t),
            CheckKind::Rubric(r) => raw.rubric = Some(r),
        }
        raw
    }
}

/// What a state query's result must be.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "RawStateCheck", into = "RawStateCheck")]
pub struct StateCheck {
    pub source: Source,
    pub query: Query,
    pub expect: Expect,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `GET /_dtu/universes/{u}/state` after the run.
    #[default]
    State,
    /// `GET /_dtu/universes/{u}/diff?since=initial`: only what the run changed.
    Diff,
}

#[derive(Debug, Clone)]
pub enum Expect {
    /// The result equals this value (numbers by value).
    Equals(Value),
    /// The result (an array) holds an element equal to this value, or (a string)
    /// holds this string.
    Contains(Value),
    /// The result is an array (or object, or string) of this length, or within bounds.
    Count(CountSpec),
    /// The result is JMESPath-truthy (or falsy, for `false`).
    Truthy(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CountSpec {
    Exactly(u64),
    Range {
        #[serde(default)]
        min: Option<u64>,
        #[serde(default)]
        max: Option<u64>,
    },
}

impl CountSpec {
    pub fn admits(&self, n: u64) -> bool {
        match *self {
            CountSpec::Exactly(k) => n == k,
            CountSpec::Range { min, max } => min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m),
        }
    }
}

impl fmt::Display for CountSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CountSpec::Exactly(k) => write!(f, "{k}"),
            CountSpec::Range { min: Some(a), max: Some(b) } => write!(f, "{a}..={b}"),
            CountSpec::Range { min: Some(a), max: None } => write!(f, ">= {a}"),
            CountSpec::Range { min: None, max: Some(b) } => write!(f, "<= {b}"),
            CountSpec::Range { min: None, max: None } => write!(f, "any"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStateCheck {
    #[serde(default)]
    pub source: Source,
    pub query: Query,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<CountSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truthy: Option<bool>,
}

impl TryFrom<RawStateCheck> for StateCheck {
    type Error = String;

    fn try_from(raw: RawStateCheck) -> Result<Self, String> {
        let mut expects = Vec::new();
        if let Some(v) = raw.equals {
            expects.push(Expect::Equals(v));
        }
        if let Some(v) = raw.contains {
            expects.push(Expect::Contains(v));
        }
        if let Some(c) = raw.count {
            if let CountSpec::Range { min: Some(a), max: Some(b) } = c {
                if a > b {
                    return Err(format!("count.min ({a}) exceeds count.max ({b})"));
                }
            }
            expects.push(Expect::Count(c));
        }
        if let Some(t) = raw.truthy {
            expects.push(Expect::Truthy(t));
        }
        if expects.len() != 1 {
            return Err(format!(
                "a state check takes exactly one of equals, contains, count, truthy (found {})",
                expects.len()
            ));
        }
        Ok(StateCheck { source: raw.source, query: raw.query, expect: expects.remove(0) })
    }
}

impl From<StateCheck> for RawStateCheck {
    fn from(s: StateCheck) -> Self {
        let mut raw =
            RawStateCheck { source: s.source, query: s.query, equals: None, contains: None, count: None, truthy: None };
        match s.expect {
            Expect::Equals(v) => raw.equals = Some(v),
            Expect::Contains(v) => raw.contains = Some(v),
            Expect::Count(c) => raw.count = Some(c),
            Expect::Truthy(t) => raw.truthy = Some(t),
        }
        raw
    }
}

/// The run may change only what these rules allow; anything else in the diff is
/// collateral damage.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollateralCheck {
    #[serde(default)]
    pub allow: Vec<AllowRule>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowRule {
    pub service: String,
    /// A collection name, or `*` for any.
    pub collection: String,
    pub change: ChangeKind,
    /// At most this many changes may use this rule.
    #[serde(default)]
    pub max: Option<u64>,
    /// For `updated`: only these top-level fields may differ.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    /// A JMESPath query over the diff entry (`{id, record}` or `{id, before, after}`)
    /// that must be truthy for the rule to apply.
    #[serde(default, rename = "where")]
    pub where_: Option<Query>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
    Any,
}

impl ChangeKind {
    pub fn admits(self, other: ChangeKind) -> bool {
        self == ChangeKind::Any || self == other
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Updated => "updated",
            ChangeKind::Deleted => "deleted",
            ChangeKind::Any => "any",
        }
    }
}

/// A check over the journal (the requests the twins recorded for the run).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "RawTrajectory", into = "RawTrajectory")]
pub enum TrajectoryCheck {
    /// Operations matching the glob were called within `[min, max]` times (min default 1).
    Called { operation: String, min: u64, max: Option<u64> },
    /// No call matched the glob.
    NotCalled { operation: String },
    /// At most `max` calls in all (or of the operation glob / service).
    MaxCalls { max: u64, operation: Option<String>, service: Option<String> },
    /// Every call that follows a rate-limited answer (429 or a chaos `rate_limit`) to the
    /// same service, operation and principal started at least Retry-After later.
    RetryAfterHonoured { operation: Option<String>, service: Option<String>, tolerance_ms: u64 },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrajectory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub called: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_called: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_calls: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_honoured: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance_ms: Option<u64>,
}

/// Default slack for clock readings in a Retry-After check.
pub const DEFAULT_RETRY_TOLERANCE_MS: u64 = 50;

impl TryFrom<RawTrajectory> for TrajectoryCheck {
    type Error = String;

    fn try_from(r: RawTrajectory) -> Result<Self, String> {
        let given =
            [r.called.is_some(), r.not_called.is_some(), r.max_calls.is_some(), r.retry_after_honoured.is_some()];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(
                "a trajectory check takes exactly one of called, not_called, max_calls, retry_after_honoured".into()
            );
        }
        for pattern in [&r.called, &r.not_called, &r.operation].into_iter().flatten() {
            globset::Glob::new(pattern).map_err(|e| format!("operation pattern {pattern:?}: {e}"))?;
        }
        let unexpected = |what: &str, present: bool| {
            if present {
                Err(format!("'{what}' does not apply to this trajectory check"))
            } else {
                Ok(())
            }
        };
        if let Some(operation) = r.called {
            unexpected("operation", r.operation.is_some())?;
            unexpected("service", r.service.is_some())?;
            unexpected("tolerance_ms", r.tolerance_ms.is_some())?;
            let min = r.min.unwrap_or(1);
            if r.max.is_some_and(|m| m < min) {
                return Err(format!("max ({}) is below min ({min})", r.max.unwrap_or_default()));
            }
            return Ok(TrajectoryCheck::Called { operation, min, max: r.max });
        }
        if let Some(operation) = r.not_called {
            for (k, v) in [("operation", r.operation.is_some()), ("service", r.service.is_some())] {
                unexpected(k, v)?;
            }
            for (k, v) in
                [("min", r.min.is_some()), ("max", r.max.is_some()), ("tolerance_ms", r.tolerance_ms.is_some())]
            {
                unexpected(k, v)?;
            }
            return Ok(TrajectoryCheck::NotCalled { operation });
        }
        if let Some(max) = r.max_calls {
            for (k, v) in
                [("min", r.min.is_some()), ("max", r.max.is_some()), ("tolerance_ms", r.tolerance_ms.is_some())]
            {
                unexpected(k, v)?;
            }
            return Ok(TrajectoryCheck::MaxCalls { max, operation: r.operation, service: r.service });
        }
        if r.retry_after_honoured != Some(true) {
            return Err("retry_after_honoured must be true".into());
        }
        for (k, v) in [("min", r.min.is_some()), ("max", r.max.is_some())] {
            unexpected(k, v)?;
        }
        Ok(TrajectoryCheck::RetryAfterHonoured {
            operation: r.operation,
            service: r.service,
            tolerance_ms: r.tolerance_ms.unwrap_or(DEFAULT_RETRY_TOLERANCE_MS),
        })
    }
}

impl From<TrajectoryCheck> for RawTrajectory {
    fn from(t: TrajectoryCheck) -> Self {
        match t {
            TrajectoryCheck::Called { operation, min, max } => {
                RawTrajectory { called: Some(operation), min: Some(min), max, ..Default::default() }
            }
            TrajectoryCheck::NotCalled { operation } => {
                RawTrajectory { not_called: Some(operation), ..Default::default() }
            }
            TrajectoryCheck::MaxCalls { max, operation, service } => {
                RawTrajectory { max_calls: Some(max), operation, service, ..Default::default() }
            }
            TrajectoryCheck::RetryAfterHonoured { operation, service, tolerance_ms } => RawTrajectory {
                retry_after_honoured: Some(true),
                operation,
                service,
                tolerance_ms: Some(tolerance_ms),
                ..Default::default()
            },
        }
    }
}

/// A scenario read from a file.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    /// sha256 of the file's bytes: part of what makes two runs comparable.
    pub hash: String,
    pub scenario: Scenario,
}

/// A problem in a scenario file, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found while loading, one per line when shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(f, "{n} problem{} in scenarios:", if n == 1 { "" } else { "s" })?;
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The 1-based line of the `nth` (0-based) occurrence of `needle`, if any.
fn line_of(text: &str, needle: &str, nth: usize) -> Option<usize> {
    let mut from = 0;
    let mut count = 0;
    while let Some(i) = text[from..].find(needle) {
        let at = from + i;
        if count == nth {
            return Some(text[..at].matches('\n').count() + 1);
        }
        count += 1;
        from = at + needle.len().max(1);
    }
    None
}

/// The query text quoted in an "invalid JMESPath query \"...\"" message.
fn quoted_query(message: &str) -> Option<String> {
    let rest = message.split("invalid JMESPath query \"").nth(1)?;
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return Some(out),
            c => out.push(c),
        }
    }
    None
}

/// Parses one scenario file's text. `file` only names it in problems.
pub fn parse(file: &Path, text: &str) -> Result<Scenario, Vec<Problem>> {
    let problem = |line: Option<usize>, column: Option<usize>, message: String| Problem {
        file: file.to_path_buf(),
        line,
        column,
        message,
    };
    let mut scenario: Scenario = match serde_yaml_ng::from_str(text) {
        Ok(s) => s,
        Err(e) => {
            let (line, column) = e.location().map(|l| (Some(l.line()), Some(l.column()))).unwrap_or((None, None));
            let mut message = e.to_string();
            if let Some(i) = message.rfind(" at line ") {
                message.truncate(i);
            }
            // serde_yaml_ng places errors raised after a value was read (a bad query) at
            // the enclosing mapping; the query's own line is more useful.
            let (line, column) = match quoted_query(&message).and_then(|q| line_of(text, &q, 0)) {
                Some(l) if line.is_none_or(|at| l >= at) => (Some(l), None),
                _ => (line, column),
            };
            return Err(vec![problem(line, column, message)]);
        }
    };
    let mut problems = Vec::new();
    let mut bad = |needle: Option<String>, nth: usize, message: String| {
        let line = needle.and_then(|n| line_of(text, &n, nth));
        problems.push(problem(line, None, message));
    };

    if !valid_id(&scenario.id) {
        bad(
            Some("id:".into()),
            0,
            format!("id {:?} must be 1-100 characters of a-z, A-Z, 0-9, '-', '_', '.'", scenario.id),
        );
    }
    if scenario.title.trim().is_empty() {
        bad(Some("title:".into()), 0, "title must not be empty".into());
    }
    if scenario.intent.trim().is_empty() {
        bad(Some("intent:".into()), 0, "intent must not be empty".into());
    }
    for tag in &scenario.tags {
        if !valid_id(tag) {
            bad(Some(tag.clone()), 0, format!("tag {tag:?} must be 1-100 characters of a-z, A-Z, 0-9, '-', '_', '.'"));
        }
    }
    if scenario.repetitions == 0 || scenario.repetitions > MAX_REPETITIONS {
        bad(Some("repetitions:".into()), 0, format!("repetitions must be 1-{MAX_REPETITIONS}"));
    }
    if !(scenario.timeout_s.is_finite() && scenario.timeout_s > 0.0 && scenario.timeout_s <= MAX_TIMEOUT_S) {
        bad(Some("timeout_s:".into()), 0, format!("timeout_s must be above 0 and at most {MAX_TIMEOUT_S}"));
    }
    if let Some(FixtureSpec::Name(name)) = &scenario.fixture {
        if name.trim().is_empty() {
            bad(Some("fixture:".into()), 0, "fixture name must not be empty".into());
        }
    }
    if let Some(gold) = &scenario.gold {
        if gold.trim().is_empty() {
            bad(Some("gold:".into()), 0, "gold must be a command".into());
        }
    }
    if scenario.setup.len() > MAX_SETUP_STEPS {
        bad(Some("setup:".into()), 0, format!("at most {MAX_SETUP_STEPS} setup steps"));
    }
    for step in &scenario.setup {
        match step {
            SetupStep::Control(c) => {
                if c.path.starts_with('/') || c.path.contains("..") || c.path.contains("://") {
                    bad(
                        Some(c.path.clone()),
                        0,
                        format!("control path {:?} must be relative to the universe (e.g. clock/advance)", c.path),
                    );
                }
            }
            SetupStep::Call(t) => {
                if !SERVICES.contains(&t.service.as_str()) {
                    bad(
                        Some(format!("service: {}", t.service)),
                        0,
                        format!("unknown service {:?} (one of {})", t.service, SERVICES.join(", ")),
                    );
                }
                if t.body.is_some() && t.form.is_some() {
                    bad(Some(t.path.clone()), 0, "a call takes body or form, not both".into());
                }
                if t.path.contains("://") || t.path.contains("..") {
                    bad(
                        Some(t.path.clone()),
                        0,
                        format!("call path {:?} must be relative to the service's base URL", t.path),
                    );
                }
            }
        }
    }
    if scenario.chaos.len() > MAX_CHAOS_RULES {
        bad(Some("chaos:".into()), 0, format!("at most {MAX_CHAOS_RULES} chaos rules"));
    }
    // The control plane's own validation, so a bad rule stops the load, not a run.
    let rules = RuleSet::default();
    for (i, rule) in scenario.chaos.iter().enumerate() {
        if let Err(e) = rules.add(rule.clone(), &SERVICES) {
            bad(Some("action:".into()), i, format!("chaos[{i}]: {e}"));
        }
    }
    for name in scenario.bindings.keys() {
        if !valid_binding_name(name) {
            bad(Some(format!("{name}:")), 0, format!("binding name {name:?} must be letters, digits and _"));
        }
    }
    if scenario.checks.is_empty() {
        bad(Some("checks:".into()), 0, "a scenario needs at least one check".into());
    }
    if scenario.checks.len() > MAX_CHECKS {
        bad(Some("checks:".into()), 0, format!("at most {MAX_CHECKS} checks"));
    }
    let frozen = scenario.clock.as_ref().is_some_and(|c| c.frozen);
    let mut counters: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    let mut deterministic = 0;
    for check in &mut scenario.checks {
        let kind = check.kind.name();
        let n = counters.entry(kind).or_insert(0);
        *n += 1;
        if check.id.is_empty() {
            check.id = format!("{kind}-{n}");
        }
        if !ids.insert(check.id.clone()) {
            bad(Some(format!("id: {}", check.id)), 1, format!("check id {:?} is used twice", check.id));
        }
        if !matches!(check.kind, CheckKind::Rubric(_)) {
            deterministic += 1;
        }
        let mut queries: Vec<&Query> = Vec::new();
        match &check.kind {
            CheckKind::State(s) => queries.push(&s.query),
            CheckKind::Collateral(c) => {
                for rule in &c.allow {
                    if !SERVICES.contains(&rule.service.as_str()) {
                        bad(
                            Some(format!("service: {}", rule.service)),
                            0,
                            format!("check {}: unknown service {:?}", check.id, rule.service),
                        );
                    }
                    if rule.fields.is_some() && !matches!(rule.change, ChangeKind::Updated) {
                        bad(
                            Some("fields:".into()),
                            0,
                            format!("check {}: fields applies to change: updated only", check.id),
                        );
                    }
                    queries.extend(rule.where_.iter());
                }
            }
            CheckKind::Trajectory(TrajectoryCheck::RetryAfterHonoured { .. }) if frozen => {
                bad(
                    Some("retry_after_honoured".into()),
                    0,
                    format!("check {}: retry_after_honoured needs a running clock (clock.frozen is true)", check.id),
                );
            }
            _ => {}
        }
        for q in queries {
            for name in q.placeholders() {
                if !scenario.bindings.contains_key(&name) {
                    bad(Some(format!("{{{{{name}}}}}")), 0, format!("check {}: no binding named '{name}'", check.id));
                }
            }
        }
    }
    if !scenario.checks.is_empty() && deterministic == 0 {
        bad(
            Some("checks:".into()),
            0,
            "a scenario needs at least one deterministic check (state, collateral or trajectory)".into(),
        );
    }
    for q in scenario.bindings.values() {
        for name in q.placeholders() {
            bad(Some(format!("{{{{{name}}}}}")), 0, format!("bindings cannot refer to other bindings ('{name}')"));
        }
    }
    if problems.is_empty() {
        Ok(scenario)
    } else {
        Err(problems)
    }
}

fn hash_bytes(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn collect_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>, problems: &mut Vec<Problem>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(Problem {
                file: dir.to_path_buf(),
                line: None,
                column: None,
                message: format!("cannot read: {e}"),
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if out.len() > MAX_FILES {
            return;
        }
        if path.is_dir() {
            if depth < MAX_DEPTH {
                collect_files(&path, depth + 1, out, problems);
            }
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            out.push(path);
        }
    }
}

/// Loads every `*.yaml`/`*.yml` under the given directories (or files), recursively.
/// Either every scenario loads, or every problem is returned.
pub fn load(paths: &[PathBuf]) -> Result<Vec<Loaded>, Problems> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        if p.is_dir() {
            collect_files(p, 0, &mut files, &mut problems);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            problems.push(Problem {
                file: p.clone(),
                line: None,
                column: None,
                message: "no such file or directory".into(),
            });
        }
    }
    if files.len() > MAX_FILES {
        problems.push(Problem {
            file: paths.first().cloned().unwrap_or_default(),
            line: None,
            column: None,
            message: format!("more than {MAX_FILES} scenario files"),
        });
        return Err(Problems(problems));
    }
    let mut loaded: Vec<Loaded> = Vec::new();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in files {
        let meta_len = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        if meta_len > MAX_FILE_BYTES {
            problems.push(Problem {
                file,
                line: None,
                column: None,
                message: format!("larger than {MAX_FILE_BYTES} bytes"),
            });
            continue;
        }
        let bytes = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) => {
                problems.push(Problem { file, line: None, column: None, message: format!("cannot read: {e}") });
                continue;
            }
        };
        let text = match String::from_utf8(bytes.clone()) {
            Ok(t) => t,
            Err(_) => {
                problems.push(Problem { file, line: None, column: None, message: "not UTF-8 text".into() });
                continue;
            }
        };
        match parse(&file, &text) {
            Ok(scenario) => {
                if let Some(first) = seen.get(&scenario.id) {
                    problems.push(Problem {
                        file: file.clone(),
                        line: line_of(&text, "id:", 0),
                        column: None,
                        message: format!("scenario id {:?} is also used by {}", scenario.id, first.display()),
                    });
                    continue;
                }
                seen.insert(scenario.id.clone(), file.clone());
                loaded.push(Loaded { path: file, hash: hash_bytes(&bytes), scenario });
            }
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        if loaded.is_empty() {
            return Err(Problems(vec![Problem {
                file: paths.first().cloned().unwrap_or_default(),
                line: None,
                column: None,
                message: "no scenario files (*.yaml) found".into(),
            }]));
        }
        Ok(loaded)
    } else {
        Err(Problems(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id: post-summary
title: Post a summary
tags: [slack, write]
fixture: default
clock: {start: "2026-01-05T09:00:00Z"}
bindings:
  general: "slack.channels.* | [?name=='general'] | [0].id"
intent: |
  Post a summary of yesterday in #general.
chaos:
  - match: {service: slack, operation: chat.postMessage}
    trigger: {first_n: 2}
    action: {kind: rate_limit, retry_after_s: 1}
checks:
  - id: posted
    state:
      source: diff
      query: "services.slack.messages.created[?record.channel == {{general}}] | length(@)"
      equals: 1
  - collateral:
      allow:
        - {service: slack, collection: messages, change: created, max: 1}
  - trajectory: {called: chat.postMessage, max: 3}
  - trajectory: {retry_after_honoured: true}
  - rubric: The summary is short and polite.
repetitions: 2
timeout_s: 30
"#;

    fn parse_str(text: &str) -> Result<Scenario, Vec<Problem>> {
        parse(Path::new("s.yaml"), text)
    }

    #[test]
    fn parses_a_full_scenario() {
        let s = parse_str(GOOD).unwrap();
        assert_eq!(s.id, "post-summary");
        assert_eq!(s.repetitions, 2);
        assert_eq!(s.checks.len(), 5);
        let ids: Vec<&str> = s.checks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["posted", "collateral-1", "trajectory-1", "trajectory-2", "rubric-1"]);
        assert!(matches!(
            s.checks[2].kind,
            CheckKind::Trajectory(TrajectoryCheck::Called { min: 1, max: Some(3), .. })
        ));
        assert_eq!(s.chaos.len(), 1);
    }

    #[test]
    fn unknown_field_names_line() {
        let text = GOOD.replace("repetitions: 2", "repetitons: 2");
        let p = parse_str(&text).unwrap_err();
        assert_eq!(p.len(), 1);
        let expected = GOOD.lines().position(|l| l.starts_with("repetitions")).unwrap() + 1;
        assert_eq!(p[0].line, Some(expected), "{}", p[0]);
        assert!(p[0].message.contains("repetitons"), "{}", p[0]);
        assert!(p[0].to_string().starts_with(&format!("s.yaml:{expected}:")), "{}", p[0]);
    }

    #[test]
    fn bad_query_names_its_line() {
        let text = GOOD.replace("| length(@)", "| length(@");
        let p = parse_str(&text).unwrap_err();
        let expected = GOOD.lines().position(|l| l.contains("length(@)")).unwrap() + 1;
        assert_eq!(p[0].line, Some(expected), "{}", p[0]);
        assert!(p[0].message.contains("invalid JMESPath"), "{}", p[0]);
    }

    #[test]
    fn two_expectations_are_refused() {
        let text = GOOD.replace("      equals: 1", "      equals: 1\n      truthy: true");
        let p = parse_str(&text).unwrap_err();
        assert!(p[0].message.contains("exactly one of equals"), "{}", p[0]);
        assert!(p[0].line.is_some());
    }

    #[test]
    fn bad_chaos_rule_stops_the_load() {
        let text = GOOD.replace("retry_after_s: 1", "retry_after_s: 99999");
        let p = parse_str(&text).unwrap_err();
        assert!(p[0].message.contains("chaos[0]") && p[0].message.contains("3600"), "{}", p[0]);
        let text = GOOD.replace("kind: rate_limit", "kind: explode");
        let p = parse_str(&text).unwrap_err();
        assert!(p[0].message.contains("explode"), "{}", p[0]);
    }

    #[test]
    fn unknown_binding_and_duplicate_ids() {
        let text = GOOD.replace("{{general}}", "{{genral}}").replace("- collateral:", "- id: posted\n    collateral:");
        let p = parse_str(&text).unwrap_err();
        let messages: Vec<String> = p.iter().map(|p| p.to_string()).collect();
        assert!(messages.iter().any(|m| m.contains("no binding named 'genral'")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("used twice")), "{messages:?}");
        assert!(p.iter().all(|p| p.line.is_some()), "{messages:?}");
    }

    #[test]
    fn retry_check_needs_running_clock() {
        let text = GOOD.replace(r#"start: "2026-01-05T09:00:00Z""#, r#"start: "2026-01-05T09:00:00Z", frozen: true"#);
        let p = parse_str(&text).unwrap_err();
        assert!(p[0].message.contains("running clock"), "{}", p[0]);
    }

    #[test]
    fn rubric_only_is_refused_and_ranges_checked() {
        let text = "id: a\ntitle: t\nintent: x\nchecks:\n  - rubric: nice\n";
        let p = parse_str(text).unwrap_err();
        assert!(p[0].message.contains("deterministic"), "{}", p[0]);
        let text = "id: a\ntitle: t\nintent: x\nrepetitions: 0\nchecks:\n  - trajectory: {max_calls: 3}\n";
        let p = parse_str(text).unwrap_err();
        assert_eq!(p[0].line, Some(4), "{}", p[0]);
        let text = "id: a\ntitle: t\nintent: x\nchecks:\n  - trajectory: {called: x, not_called: y}\n";
        assert!(parse_str(text).unwrap_err()[0].message.contains("exactly one of called"));
        let text = "id: a\ntitle: t\nintent: x\nchecks:\n  - state: {query: a, count: {min: 3, max: 1}}\n";
        assert!(parse_str(text).unwrap_err()[0].message.contains("exceeds"));
    }

    #[test]
    fn load_reports_every_file_and_duplicate_ids() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), GOOD).unwrap();
        std::fs::write(dir.path().join("b.yaml"), GOOD).unwrap();
        std::fs::write(dir.path().join("c.yaml"), "id: [").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let err = load(&[dir.path().to_path_buf()]).unwrap_err();
        assert_eq!(err.0.len(), 2, "{err}");
        assert!(err.to_string().contains("also used by"), "{err}");
        assert!(err.0.iter().any(|p| p.file.ends_with("c.yaml") && p.line == Some(1)), "{err}");
        std::fs::remove_file(dir.path().join("b.yaml")).unwrap();
        std::fs::remove_file(dir.path().join("c.yaml")).unwrap();
        let ok = load(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].hash.len(), 64);
        assert!(load(&[dir.path().join("missing")]).is_err());
    }
}
