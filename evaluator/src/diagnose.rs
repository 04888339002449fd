//! Why runs failed: the most common cause of the agent errors and infra errors of an
//! evaluation, read from the agents' stderr (the last exception of a Python
//! traceback, Node's module errors, the shell's "not found") or the harness's error,
//! with what to do about it. The terminal summary and `report.html` show it.
//!
//! Only the records given are read: callers pass dev-split runs only, so nothing of a
//! holdout run's output reaches the terminal.

use std::collections::BTreeMap;

use crate::results::{Outcome, RunRecord};

/// Lines of one run's stderr shown under the cause.
pub const EXCERPT_LINES: usize = 8;
/// Longest cause line kept (characters).
const MAX_HEADLINE: usize = 200;

/// `s` without trailing whitespace, cut at `max` characters.
fn clip(s: &str, max: usize) -> String {
    let s = s.trim_end();
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Python modules the example agents import, all pinned in
/// `tests/sdk/python/requirements.lock`.
const PINNED_MODULES: [&str; 14] = [
    "slack_sdk",
    "slack_bolt",
    "okta",
    "jira",
    "atlassian",
    "googleapiclient",
    "google",
    "google_auth_httplib2",
    "gspread",
    "pydrive2",
    "jwt",
    "requests",
    "aiohttp",
    "yaml",
];

/// What the pinned SDKs take and how an agent gets them: `examples/agents/_venv.py`
/// re-runs an example agent under the repository's `.venv` when the Python that
/// started it lacks them, so `.venv` is what has to exist.
pub const PINNED_SDK_ADVICE: &str = "the example agents need the pinned Python SDKs in the repository's .venv: \
run `scripts/test` once, or `python3 -m venv .venv && .venv/bin/pip install -r tests/sdk/python/requirements.lock`; \
an example agent re-runs itself under .venv when it exists, or name the interpreter: \
--agent '.venv/bin/python examples/agents/gold.py'";

/// One cause of failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// The line that says what went wrong (the grouping key).
    pub headline: String,
    /// What to do about it, when known.
    pub advice: Option<String>,
}

/// The most common cause among an evaluation's failed runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    pub cause: Cause,
    /// Runs that failed with this cause.
    pub runs: usize,
    /// Agent errors and infra errors in all.
    pub failed: usize,
    /// Causes seen in all.
    pub causes: usize,
    /// One of those runs: its scenario, repetition and outcome.
    pub scenario: String,
    pub repetition: u32,
    pub outcome: Outcome,
    /// The first lines of that run's stderr (or the harness's error).
    pub excerpt: Vec<String>,
}

fn truncate(s: &str, max: usize) -> String {
    clip(s.trim_start(), max)
}

/// `Name: message` or a bare `Name`, where Name is a dotted identifier ending in
/// Error, Exception, Exit or Interrupt: the last line of a Python traceback.
fn python_exception(line: &str) -> bool {
    let name = line.split(':').next().unwrap_or_default();
    let ident = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    ident && ["Error", "Exception", "Exit", "Interrupt"].iter().any(|s| name.ends_with(s))
}

/// The line of `stderr` that says what went wrong, if any line does.
pub fn error_line(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.is_empty() {
        return None;
    }
    // Python: the last exception line (a chained traceback ends with the one raised last).
    if let Some(l) = lines.iter().rev().find(|l| python_exception(l)) {
        return Some(truncate(l, MAX_HEADLINE));
    }
    // Node and the shell: the first line naming the error.
    let markers = ["Error [ERR_", "Error: ", ": not found", "command not found", "Permission denied", "No such file"];
    if let Some(l) = lines.iter().find(|l| markers.iter().any(|m| l.contains(m))) {
        return Some(truncate(l, MAX_HEADLINE));
    }
    lines.first().map(|l| truncate(l, MAX_HEADLINE))
}

/// The module of a `ModuleNotFoundError: No module named 'x.y'` line (`x`).
fn missing_python_module(headline: &str) -> Option<&str> {
    let rest = headline.split("No module named '").nth(1)?;
    let module = rest.split('\'').next()?;
    module.split('.').next().filter(|m| !m.is_empty())
}

fn advice_for_agent(headline: &str, exit_code: Option<i32>) -> Option<String> {
    if let Some(module) = missing_python_module(headline) {
        if PINNED_MODULES.contains(&module) {
            return Some(PINNED_SDK_ADVICE.into());
        }
        return Some(format!(
            "install `{module}` for the Python the agent runs under (it gets the evaluator's PATH; name the \
             interpreter in the command, e.g. --agent '.venv/bin/python my_agent.py')"
        ));
    }
    if headline.contains("ERR_MODULE_NOT_FOUND")
        || headline.contains("Cannot find module")
        || headline.contains("Cannot find package")
    {
        return Some(
            "install the agent's Node packages where it runs (`npm install` in its directory; --agent-cwd DIR sets \
             the directory it runs in)"
                .into(),
        );
    }
    if headline.starts_with("KeyError: '") {
        let key = headline.trim_start_matches("KeyError: '").trim_end_matches('\'');
        if !key.is_empty() && key.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
            return Some(format!(
                "the agent read {key}, which it was not given: its environment is cleared but for the twins' settings \
                 (of the services the scenario's universe has) and PATH, HOME, LANG, LC_ALL, TMPDIR, TERM; pass a host \
                 variable with --agent-env {key}"
            ));
        }
    }
    let not_found =
        exit_code == Some(127) || headline.contains(": not found") || headline.contains("command not found");
    if not_found && headline.contains(".venv/bin/python") {
        // The scenarios' gold agents, before anything made the repository's .venv.
        return Some(PINNED_SDK_ADVICE.into());
    }
    if not_found {
        return Some(
            "the agent command was not found: --agent runs with `sh -c` in the evaluator's directory (or --agent-cwd) \
             and the host PATH; check its path, or name its interpreter (--agent 'python3 my_agent.py')"
                .into(),
        );
    }
    if exit_code == Some(126) || headline.contains("Permission denied") {
        return Some("the agent file is not executable: `chmod +x` it, or name its interpreter in --agent".into());
    }
    None
}

/// The cause of one failed run (agent errors and infra errors only).
pub fn cause_of(record: &RunRecord) -> Option<Cause> {
    match record.outcome {
        Outcome::AgentError => {
            let agent = record.agent.as_ref();
            if agent.is_some_and(|a| a.timed_out) {
                return Some(Cause {
                    headline: "timed out (the agent's process group was killed)".into(),
                    advice: Some(
                        "raise --timeout SECONDS (or the scenario's timeout_s), or watch the agent with --passthrough"
                            .into(),
                    ),
                });
            }
            let exit_code = agent.and_then(|a| a.exit_code);
            let stderr = record.detail.as_ref().map(|d| d.stderr.as_str()).unwrap_or_default();
            let headline = error_line(stderr).unwrap_or_else(|| match agent {
                Some(a) => match (a.exit_code, a.signal) {
                    (Some(c), _) => format!("exited {c} with nothing on stderr"),
                    (None, Some(s)) => format!("killed by signal {s}"),
                    _ => a.description.clone(),
                },
                None => "failed without a record of the agent".into(),
            });
            let advice = advice_for_agent(&headline, exit_code);
            Some(Cause { headline, advice })
        }
        Outcome::InfraError => {
            let error = record.error.as_deref().unwrap_or("no error recorded");
            let headline = truncate(error.lines().next().unwrap_or(error), MAX_HEADLINE);
            let advice = if headline.starts_with("prepare:") {
                "the scenario's own setup failed before any agent ran: check it with `dtu eval --scenarios FILE --gold`"
            } else {
                "the harness or a twin failed (such runs are left out of every rate): with --server, check that the \
                 server is up and that --admin-token is its token; the same command again retries these runs"
            };
            Some(Cause { headline, advice: Some(advice.into()) })
        }
        Outcome::Satisfied | Outcome::Unsatisfied => None,
    }
}

fn excerpt_of(record: &RunRecord, headline: &str) -> Vec<String> {
    let text = match record.outcome {
        Outcome::InfraError => record.error.clone().unwrap_or_default(),
        _ => record.detail.as_ref().map(|d| d.stderr.clone()).unwrap_or_default(),
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    // Indentation kept: a traceback's lines read as one.
    let mut out: Vec<String> = lines.iter().take(EXCERPT_LINES).map(|l| clip(l, MAX_HEADLINE)).collect();
    if lines.len() > EXCERPT_LINES {
        out.push("…".into());
        // The line that names the cause, when the first lines do not reach it.
        if !out.iter().any(|l| l.trim() == headline) {
            out.push(headline.to_string());
        }
    }
    out
}

/// The most common cause among `records`' agent errors and infra errors (ties: the
/// one seen first), or None when none failed so.
pub fn diagnose(records: &[RunRecord]) -> Option<Diagnosis> {
    let causes: Vec<(&RunRecord, Cause)> = records.iter().filter_map(|r| cause_of(r).map(|c| (r, c))).collect();
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new(); // headline -> (runs, first index)
    for (i, (_, c)) in causes.iter().enumerate() {
        counts.entry(c.headline.as_str()).or_insert((0, i)).0 += 1;
    }
    let (_, &(runs, first)) = counts.iter().max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))?;
    let (record, cause) = &causes[first];
    Some(Diagnosis {
        cause: cause.clone(),
        runs,
        failed: causes.len(),
        causes: counts.len(),
        scenario: record.scenario.clone(),
        repetition: record.repetition,
        outcome: record.outcome,
        excerpt: excerpt_of(record, &cause.headline),
    })
}

/// The cause for the terminal, after the summary: empty when no run failed so.
pub fn console_text(records: &[RunRecord]) -> String {
    let Some(d) = diagnose(records) else { return String::new() };
    let what = match d.outcome {
        Outcome::InfraError => "infra error",
        _ => "agent error",
    };
    let others =
        if d.causes > 1 { format!(" ({} other cause(s); see report.html)", d.causes - 1) } else { String::new() };
    let mut out = format!(
        "why: {} of {} failed run(s) {}: {}{others}\n",
        d.runs,
        d.failed,
        if d.runs == 1 { format!("({what})") } else { format!("({what}s)") },
        d.cause.headline
    );
    let source = if d.outcome == Outcome::InfraError { "error" } else { "stderr" };
    if !d.excerpt.is_empty() {
        out += &format!("  {source} of {} run {}:\n", d.scenario, d.repetition);
        for line in &d.excerpt {
            out += &format!("    {line}\n");
        }
    }
    if let Some(advice) = &d.cause.advice {
        out += &format!("  to fix: {advice}\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::tests::record;
    use crate::results::{AgentSummary, RunDetail};

    fn agent_error(stderr: &str, exit: i32) -> RunRecord {
        let mut r = record("s1", 0, Outcome::AgentError);
        r.agent = Some(AgentSummary {
            exit_code: Some(exit),
            signal: None,
            timed_out: false,
            duration_ms: 5.0,
            description: format!("exited {exit}"),
        });
        r.detail = Some(RunDetail { stderr: stderr.into(), ..Default::default() });
        r
    }

    const TRACEBACK: &str = "Traceback (most recent call last):\n  File \"examples/agents/gold.py\", line 5, in <module>\n    from dtu_agent import Style, prompt, solve\n  File \"examples/agents/dtu_agent.py\", line 12, in <module>\n    from slack_sdk import WebClient\nModuleNotFoundError: No module named 'slack_sdk'\n";

    #[test]
    fn the_last_python_exception_is_the_cause() {
        assert_eq!(error_line(TRACEBACK).as_deref(), Some("ModuleNotFoundError: No module named 'slack_sdk'"));
        let chained = "Traceback:\nKeyError: 'x'\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback:\nslack_sdk.errors.SlackApiError: The request to the Slack API failed.\n";
        assert_eq!(
            error_line(chained).as_deref(),
            Some("slack_sdk.errors.SlackApiError: The request to the Slack API failed.")
        );
        assert_eq!(error_line("sh: 1: ./agent.py: not found\n").as_deref(), Some("sh: 1: ./agent.py: not found"));
        assert_eq!(
            error_line(
                "node:internal/x\n  throw err;\nError [ERR_MODULE_NOT_FOUND]: Cannot find package '@slack/web-api'\n"
            )
            .as_deref(),
            Some("Error [ERR_MODULE_NOT_FOUND]: Cannot find package '@slack/web-api'")
        );
        assert_eq!(error_line("just a note\nand more\n").as_deref(), Some("just a note"));
        assert_eq!(error_line(" \n"), None);
    }

    #[test]
    fn the_most_common_cause_wins_with_its_advice() {
        let records = vec![
            agent_error("boom\n", 1),
            agent_error(TRACEBACK, 1),
            agent_error(TRACEBACK, 1),
            record("s1", 3, Outcome::Satisfied),
        ];
        let d = diagnose(&records).unwrap();
        assert_eq!(d.cause.headline, "ModuleNotFoundError: No module named 'slack_sdk'");
        assert_eq!((d.runs, d.failed, d.causes), (2, 3, 2));
        assert_eq!(d.cause.advice.as_deref(), Some(PINNED_SDK_ADVICE));
        assert_eq!(d.excerpt[0], "Traceback (most recent call last):");
        let text = console_text(&records);
        assert!(text.starts_with("why: 2 of 3 failed run(s) (agent errors): ModuleNotFoundError: No module named 'slack_sdk' (1 other cause(s)"), "{text}");
        assert!(text.contains("requirements.lock"), "{text}");
        assert!(console_text(&[record("s1", 0, Outcome::Unsatisfied)]).is_empty());
    }

    #[test]
    fn other_causes_get_their_own_advice() {
        let other_module = cause_of(&agent_error("ModuleNotFoundError: No module named 'openai'", 1)).unwrap();
        assert!(other_module.advice.unwrap().contains("install `openai`"));
        let missing = cause_of(&agent_error("sh: 1: my-agent: not found", 127)).unwrap();
        assert!(missing.advice.unwrap().contains("was not found"));
        let no_venv = cause_of(&agent_error("sh: 1: .venv/bin/python: not found", 127)).unwrap();
        assert_eq!(no_venv.advice.as_deref(), Some(PINNED_SDK_ADVICE));
        let env = cause_of(&agent_error("Traceback:\nKeyError: 'OPENAI_API_KEY'", 1)).unwrap();
        assert!(env.advice.unwrap().contains("--agent-env OPENAI_API_KEY"));
        let silent = cause_of(&agent_error("", 3)).unwrap();
        assert_eq!(silent.headline, "exited 3 with nothing on stderr");
        let mut timeout = agent_error("working…", 0);
        timeout.agent.as_mut().unwrap().timed_out = true;
        assert!(cause_of(&timeout).unwrap().headline.starts_with("timed out"));
        let mut infra = record("s1", 0, Outcome::InfraError);
        infra.error = Some("prepare: setup[0]: 404".into());
        let c = cause_of(&infra).unwrap();
        assert_eq!(c.headline, "prepare: setup[0]: 404");
        assert!(c.advice.unwrap().contains("--gold"));
        assert!(cause_of(&record("s1", 0, Outcome::Unsatisfied)).is_none());
    }

    #[test]
    fn a_long_stderr_still_shows_the_cause_line() {
        let long: String = (0..20).map(|i| format!("noise {i}\n")).collect::<String>() + "RuntimeError: late\n";
        let d = diagnose(&[agent_error(&long, 1)]).unwrap();
        assert_eq!(d.cause.headline, "RuntimeError: late");
        assert_eq!(d.excerpt.len(), EXCERPT_LINES + 2);
        assert_eq!(d.excerpt.last().map(String::as_str), Some("RuntimeError: late"));
    }
}
