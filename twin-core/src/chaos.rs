//! Chaos rules: the core decides *when* a fault fires; the twin renders it.
//!
//! A rule is `{match, trigger, action, limits}`. Rules live in a universe's set or in
//! the global set; a request consults its universe's rules first, then the global ones.
//! Every matching latency rule that fires adds its delay; the first other rule that
//! fires decides the response.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use globset::{Glob, GlobMatcher};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::universe::Universe;

/// The most rules one set holds.
pub const MAX_RULES: usize = 1_000;
/// The longest delay any rule may add (10 minutes).
pub const MAX_DELAY_MS: f64 = 600_000.0;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// A glob over the request path (`/api/chat.*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The principal's subject (a user or bot id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
}

/// When a matching call fires the rule. Keys combine with AND; none means always.
/// Counts are of the calls the rule matched, starting at 1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_n: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<Vec<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_n: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_n: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uniform {
    pub min_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normal {
    pub mean_ms: f64,
    pub stddev_ms: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogNormal {
    pub median_ms: f64,
    pub sigma: f64,
}

fn default_retry_after() -> u64 {
    1
}

fn default_server_error() -> u16 {
    500
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// The vendor's rate-limit answer.
    RateLimit {
        #[serde(default = "default_retry_after")]
        retry_after_s: u64,
    },
    /// An error response in the vendor's dialect.
    Error {
        #[serde(default = "default_server_error")]
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A delay before the request is handled.
    Latency {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fixed_ms: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        uniform: Option<Uniform>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        normal: Option<Normal>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lognormal: Option<LogNormal>,
    },
    /// The connection is dropped without a response.
    Reset,
    /// No answer for `ms`, then the connection is dropped.
    Hang { ms: u64 },
    /// The response body is cut off mid-way.
    Truncate,
    /// The body is replaced by text that is not JSON, under the JSON content type.
    Malformed,
    /// The request is carried out, then answered with a server error.
    CommitThenFail {
        #[serde(default = "default_server_error")]
        status: u16,
    },
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::RateLimit { .. } => "rate_limit",
            Action::Error { .. } => "error",
            Action::Latency { .. } => "latency",
            Action::Reset => "reset",
            Action::Hang { .. } => "hang",
            Action::Truncate => "truncate",
            Action::Malformed => "malformed",
            Action::CommitThenFail { .. } => "commit_then_fail",
        }
    }

    fn validate(&self) -> Result<(), String> {
        let delay = |name: &str, v: f64| {
            if v.is_finite() && (0.0..=MAX_DELAY_MS).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} must be between 0 and {MAX_DELAY_MS} ms"))
            }
        };
        match self {
            Action::RateLimit { retry_after_s } if *retry_after_s > 3600 => {
                Err("retry_after_s must be at most 3600".into())
            }
            Action::Error { status, .. } if !(400..=599).contains(status) => {
                Err(format!("error status must be 400-599, not {status}"))
            }
            Action::CommitThenFail { status } if !(500..=599).contains(status) => {
                Err(format!("commit_then_fail status must be 500-599, not {status}"))
            }
            Action::Hang { ms } => delay("hang ms", *ms as f64),
            Action::Latency { fixed_ms, uniform, normal, lognormal } => {
                let given = [fixed_ms.is_some(), uniform.is_some(), normal.is_some(), lognormal.is_some()];
                if given.iter().filter(|g| **g).count() != 1 {
                    return Err("latency takes exactly one of fixed_ms, uniform, normal, lognormal".into());
                }
                if let Some(ms) = fixed_ms {
                    delay("fixed_ms", *ms)?;
                }
                if let Some(u) = uniform {
                    delay("uniform.min_ms", u.min_ms)?;
                    delay("uniform.max_ms", u.max_ms)?;
                    if u.min_ms > u.max_ms {
                        return Err("uniform.min_ms must not exceed uniform.max_ms".into());
                    }
                }
                if let Some(n) = normal {
                    delay("normal.mean_ms", n.mean_ms)?;
                    delay("normal.stddev_ms", n.stddev_ms)?;
                }
                if let Some(l) = lognormal {
                    delay("lognormal.median_ms", l.median_ms)?;
                    if !(l.sigma.is_finite() && (0.0..=5.0).contains(&l.sigma)) {
                        return Err("lognormal.sigma must be between 0 and 5".into());
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A delay drawn from this latency action's distribution, from the universe's draws.
    fn sample_ms(&self, draw: &mut dyn FnMut() -> f64) -> f64 {
        // Box-Muller: one standard normal from two uniform draws.
        let mut standard_normal = || {
            let u1 = draw().max(f64::MIN_POSITIVE);
            let u2 = draw();
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        };
        let ms = match self {
            Action::Latency { fixed_ms: Some(ms), .. } => *ms,
            Action::Latency { uniform: Some(u), .. } => u.min_ms + draw() * (u.max_ms - u.min_ms),
            Action::Latency { normal: Some(n), .. } => n.mean_ms + n.stddev_ms * standard_normal(),
            Action::Latency { lognormal: Some(l), .. } => l.median_ms * (l.sigma * standard_normal()).exp(),
            _ => 0.0,
        };
        ms.clamp(0.0, MAX_DELAY_MS)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Fire at most this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// Expire this many seconds after the rule was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_s: Option<f64>,
}

/// A rule as a client writes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, rename = "match")]
    pub matcher: Match,
    #[serde(default)]
    pub trigger: Trigger,
    pub action: Action,
    #[serde(default)]
    pub limits: Limits,
}

/// A rule as listed: the spec plus its counters.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleView {
    pub id: String,
    #[serde(rename = "match")]
    pub matcher: Match,
    pub trigger: Trigger,
    pub action: Action,
    pub limits: Limits,
    /// Calls it matched.
    pub matched: u64,
    /// Times it fired.
    pub hits: u64,
    /// No longer fires (its `times` are used up or its `ttl_s` passed).
    pub spent: bool,
}

#[derive(Debug)]
struct Rule {
    view: RuleView,
    path: Option<GlobMatcher>,
    added: Instant,
}

impl Rule {
    fn spent(&self) -> bool {
        let used_up = self.view.limits.times.is_some_and(|t| self.view.hits >= t);
        let expired = self.view.limits.ttl_s.is_some_and(|ttl| self.added.elapsed() >= Duration::from_secs_f64(ttl));
        used_up || expired
    }

    fn matches(&self, req: &RequestFacts<'_>) -> bool {
        let m = &self.view.matcher;
        m.service.as_deref().is_none_or(|s| s == req.service)
            && m.operation.as_deref().is_none_or(|o| Some(o) == req.operation)
            && m.method.as_deref().is_none_or(|v| v.eq_ignore_ascii_case(req.method))
            && self.path.as_ref().is_none_or(|g| g.is_match(req.path))
            && m.principal.as_deref().is_none_or(|p| Some(p) == req.principal)
    }

    fn triggers(&self, n: u64, universe: &Universe) -> bool {
        let t = &self.view.trigger;
        if t.first_n.is_some_and(|k| n > k)
            || t.nth.as_ref().is_some_and(|list| !list.contains(&n))
            || t.every_n.is_some_and(|k| !n.is_multiple_of(k))
            || t.after_n.is_some_and(|k| n <= k)
        {
            return false;
        }
        if let Some(w) = &t.window {
            let now = universe.now();
            if w.from.is_some_and(|f| now < f) || w.to.is_some_and(|to| now >= to) {
                return false;
            }
        }
        // Drawn last, and only for calls that pass every other test, so that adding a
        // window does not shift which later calls a probability picks.
        t.probability.is_none_or(|p| universe.chaos_draw() < p)
    }
}

/// The facts of a request that rules match on.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub service: &'a str,
    pub operation: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
    pub principal: Option<&'a str>,
}

/// What chaos decided for one request.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Decision {
    /// Total delay to add before handling.
    pub delay_ms: f64,
    /// The fault that decides the response, with the id of its rule.
    pub action: Option<(String, Action)>,
    /// Ids of every rule that fired (latency ones included).
    pub fired: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{0}")]
    Invalid(String),
    #[error("a rule set holds at most {MAX_RULES} rules")]
    Full,
    #[error("a rule with id '{0}' exists already")]
    Duplicate(String),
}

#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Mutex<Vec<Rule>>,
    next: Mutex<u64>,
}

impl RuleSet {
    /// Checks and adds a rule; `known_services` are the twins that exist.
    pub fn add(&self, spec: RuleSpec, known_services: &[&str]) -> Result<RuleView, RuleError> {
        if let Some(s) = &spec.matcher.service {
            if !known_services.contains(&s.as_str()) {
                return Err(RuleError::Invalid(format!(
                    "match.service '{s}' is not a twin here (known: {})",
                    known_services.join(", ")
                )));
            }
        }
        let path = match &spec.matcher.path {
            Some(p) => Some(
                Glob::new(p)
                    .map_err(|e| RuleError::Invalid(format!("match.path is not a valid glob: {e}")))?
                    .compile_matcher(),
            ),
            None => None,
        };
        let t = &spec.trigger;
        if t.first_n == Some(0) || t.every_n == Some(0) {
            return Err(RuleError::Invalid("first_n and every_n must be at least 1".into()));
        }
        if t.nth.as_ref().is_some_and(|l| l.is_empty() || l.contains(&0) || l.len() > 1000) {
            return Err(RuleError::Invalid("nth is a list of 1 to 1000 call numbers, each at least 1".into()));
        }
        if t.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
            return Err(RuleError::Invalid("probability must be between 0 and 1".into()));
        }
        if let Some(Window { from: Some(f), to: Some(to) }) = &t.window {
            if f >= to {
                return Err(RuleError::Invalid("window.from must be before window.to".into()));
            }
        }
        if spec.limits.times == Some(0) {
            return Err(RuleError::Invalid("limits.times must be at least 1".into()));
        }
        if spec.limits.ttl_s.is_some_and(|t| !(t.is_finite() && t > 0.0 && t < 1e9)) {
            return Err(RuleError::Invalid("limits.ttl_s must be a positive number of seconds".into()));
        }
        spec.action.validate().map_err(RuleError::Invalid)?;
        if let Some(id) = &spec.id {
            let ok = !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return Err(RuleError::Invalid("id must be 1-64 characters of A-Z, a-z, 0-9, - and _".into()));
            }
        }
        let mut rules = self.rules.lock();
        if rules.len() >= MAX_RULES {
            return Err(RuleError::Full);
        }
        let id = match spec.id {
            Some(id) => {
                if rules.iter().any(|r| r.view.id == id) {
                    return Err(RuleError::Duplicate(id));
                }
                id
            }
            None => {
                let mut next = self.next.lock();
                loop {
                    *next += 1;
                    let candidate = format!("r{next}");
                    if !rules.iter().any(|r| r.view.id == candidate) {
                        break candidate;
                    }
                }
            }
        };
        let view = RuleView {
            id,
            matcher: spec.matcher,
            trigger: spec.trigger,
            action: spec.action,
            limits: spec.limits,
            matched: 0,
            hits: 0,
            spent: false,
        };
        rules.push(Rule { view: view.clone(), path, added: Instant::now() });
        Ok(view)
    }

    pub fn list(&self) -> Vec<RuleView> {
        self.rules.lock().iter().map(|r| RuleView { spent: r.spent(), ..r.view.clone() }).collect()
    }

    pub fn remove(&self, id: &str) -> bool {
        let mut rules = self.rules.lock();
        let before = rules.len();
        rules.retain(|r| r.view.id != id);
        rules.len() != before
    }

    pub fn clear(&self) {
        self.rules.lock().clear();
    }

    pub fn is_empty(&self) -> bool {
        self.rules.lock().is_empty()
    }

    /// Runs a request past every rule of this set, adding to `decision`.
    pub fn decide(&self, req: &RequestFacts<'_>, universe: &Universe, decision: &mut Decision) {
        let mut rules = self.rules.lock();
        for rule in rules.iter_mut() {
            if rule.spent() || !rule.matches(req) {
                continue;
            }
            rule.view.matched += 1;
            let is_latency = matches!(rule.view.action, Action::Latency { .. });
            if !is_latency && decision.action.is_some() {
                continue;
            }
            if !rule.triggers(rule.view.matched, universe) {
                continue;
            }
            rule.view.hits += 1;
            decision.fired.push(rule.view.id.clone());
            if is_latency {
                decision.delay_ms += rule.view.action.sample_ms(&mut || universe.chaos_draw());
            } else {
                decision.action = Some((rule.view.id.clone(), rule.view.action.clone()));
            }
        }
        decision.delay_ms = decision.delay_ms.min(MAX_DELAY_MS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_kinds_parse_and_unknown_fields_are_refused() {
        let a: Action = serde_json::from_str(r#"{"kind":"rate_limit","retry_after_s":2}"#).unwrap();
        assert_eq!(a, Action::RateLimit { retry_after_s: 2 });
        let r: Action = serde_json::from_str(r#"{"kind":"reset"}"#).unwrap();
        assert_eq!(r, Action::Reset);
        assert!(serde_json::from_str::<Action>(r#"{"kind":"rate_limit","retry":2}"#).is_err());
        assert!(serde_json::from_str::<Action>(r#"{"kind":"explode"}"#).is_err());
    }

    #[test]
    fn latency_samples_stay_in_range() {
        let mut g = crate::ids::IdGen::new(3);
        let u = Action::Latency {
            fixed_ms: None,
            uniform: Some(Uniform { min_ms: 5.0, max_ms: 10.0 }),
            normal: None,
            lognormal: None,
        };
        let l = Action::Latency {
            fixed_ms: None,
            uniform: None,
            normal: None,
            lognormal: Some(LogNormal { median_ms: 20.0, sigma: 0.5 }),
        };
        let mut draw = || g.next_f64();
        for _ in 0..1000 {
            let s = u.sample_ms(&mut draw);
            assert!((5.0..=10.0).contains(&s));
        }
        let mut samples: Vec<f64> = (0..2001).map(|_| l.sample_ms(&mut draw)).collect();
        samples.sort_by(f64::total_cmp);
        let median = samples[1000];
        assert!((15.0..25.0).contains(&median), "median {median}");
    }
}
