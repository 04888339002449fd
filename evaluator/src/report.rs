//! Outputs of an evaluation: `results.json`, `junit.xml` and a self-contained
//! `report.html` (inline CSS and SVG; no scripts, no external resources).

use std::fmt::Write as _;
use std::path::Path;

use crate::checks::Status;
use crate::error::{EvalError, Result};
use crate::results::{Outcome, Results, RunRecord};
use crate::scenario::Split;

/// Failed runs shown in detail in the HTML report.
pub const MAX_DRILLDOWN: usize = 200;

pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// XML text: escaped, without the control characters XML 1.0 forbids.
pub fn xml_escape(s: &str) -> String {
    html_escape(&s.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r')).collect::<String>())
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn colour(x: f64) -> &'static str {
    if x >= 0.9 {
        "#2e7d32"
    } else if x >= 0.5 {
        "#f9a825"
    } else {
        "#c62828"
    }
}

/// A horizontal bar chart of values in [0, 1], with optional interval whiskers.
pub fn svg_bars(title: &str, rows: &[(String, f64, Option<[f64; 2]>)]) -> String {
    let (label_w, bar_w, row_h, top) = (260.0, 420.0, 22.0, 28.0);
    let height = top + row_h * rows.len() as f64 + 24.0;
    let width = label_w + bar_w + 70.0;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{t}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#,
        t = html_escape(title)
    );
    let _ = write!(s, r#"<text x="0" y="16" font-weight="bold">{}</text>"#, html_escape(title));
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let x = label_w + tick * bar_w;
        let _ = write!(
            s,
            r##"<line x1="{x}" y1="{top}" x2="{x}" y2="{y2}" stroke="#ddd"/><text x="{x}" y="{ty}" text-anchor="middle" fill="#666">{p}</text>"##,
            y2 = height - 20.0,
            ty = height - 6.0,
            p = (tick * 100.0) as u32
        );
    }
    for (i, (label, value, ci)) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let shown: String = if label.chars().count() > 38 {
            format!("{}…", label.chars().take(37).collect::<String>())
        } else {
            label.clone()
        };
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" text-anchor="end"><title>{full}</title>{l}</text><rect x="{label_w}" y="{ry}" width="{w:.1}" height="{h}" fill="{c}"/><text x="{vx:.1}" y="{ty}">{v}</text>"#,
            lx = label_w - 6.0,
            ty = y + 15.0,
            full = html_escape(label),
            l = html_escape(&shown),
            ry = y + 4.0,
            w = value.clamp(0.0, 1.0) * bar_w,
            h = row_h - 6.0,
            c = colour(*value),
            vx = label_w + bar_w + 6.0,
            v = pct(*value)
        );
        if let Some([lo, hi]) = ci {
            let (x1, x2, ym) = (label_w + lo * bar_w, label_w + hi * bar_w, y + row_h / 2.0 + 1.0);
            let _ = write!(
                s,
                r##"<line x1="{x1:.1}" y1="{ym}" x2="{x2:.1}" y2="{ym}" stroke="#222"/><line x1="{x1:.1}" y1="{a}" x2="{x1:.1}" y2="{b}" stroke="#222"/><line x1="{x2:.1}" y1="{a}" x2="{x2:.1}" y2="{b}" stroke="#222"/>"##,
                a = ym - 4.0,
                b = ym + 4.0
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// `(iteration, value, interval)` of a line chart.
pub type LinePoint = (u32, Option<f64>, Option<[f64; 2]>);

/// A line chart of values in [0, 1] over iterations, with an interval band and a
/// threshold line. Points are `(x, value, [lo, hi])`; a missing value is a gap.
pub fn svg_line(title: &str, points: &[LinePoint], threshold: Option<f64>) -> String {
    let (left, top, w, h) = (50.0, 30.0, 560.0, 240.0);
    let (width, height) = (left + w + 30.0, top + h + 40.0);
    let n = points.iter().map(|p| p.0).max().unwrap_or(1).max(1) as f64;
    let x = |i: u32| left + if n <= 1.0 { w / 2.0 } else { (i as f64 - 1.0) / (n - 1.0) * w };
    let y = |v: f64| top + (1.0 - v.clamp(0.0, 1.0)) * h;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{t}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#,
        t = html_escape(title)
    );
    let _ = write!(s, r#"<text x="0" y="16" font-weight="bold">{}</text>"#, html_escape(title));
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{yy}" x2="{x2}" y2="{yy}" stroke="#ddd"/><text x="{tx}" y="{ty}" text-anchor="end" fill="#666">{p}%</text>"##,
            yy = y(tick),
            x2 = left + w,
            tx = left - 6.0,
            ty = y(tick) + 4.0,
            p = (tick * 100.0) as u32
        );
    }
    for p in points {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{}" text-anchor="middle" fill="#666">{}</text>"##,
            x(p.0),
            top + h + 16.0,
            p.0
        );
    }
    let _ = write!(
        s,
        r##"<text x="{}" y="{}" text-anchor="middle" fill="#666">iteration</text>"##,
        left + w / 2.0,
        height - 4.0
    );
    let band: Vec<(f64, [f64; 2])> = points.iter().filter_map(|p| p.2.map(|ci| (x(p.0), ci))).collect();
    if band.len() > 1 {
        let upper: Vec<String> = band.iter().map(|(px, ci)| format!("{px:.1},{:.1}", y(ci[1]))).collect();
        let lower: Vec<String> = band.iter().rev().map(|(px, ci)| format!("{px:.1},{:.1}", y(ci[0]))).collect();
        let _ = write!(
            s,
            r##"<polygon points="{} {}" fill="#90caf9" fill-opacity="0.4"/>"##,
            upper.join(" "),
            lower.join(" ")
        );
    }
    if let Some(t) = threshold {
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{yy:.1}" x2="{x2}" y2="{yy:.1}" stroke="#c62828" stroke-dasharray="6 4"/><text x="{x2}" y="{ty:.1}" text-anchor="end" fill="#c62828">threshold {p}</text>"##,
            yy = y(t),
            x2 = left + w,
            ty = y(t) - 4.0,
            p = pct(t)
        );
    }
    let line: Vec<String> = points.iter().filter_map(|p| p.1.map(|v| format!("{:.1},{:.1}", x(p.0), y(v)))).collect();
    if line.len() > 1 {
        let _ = write!(s, r##"<polyline points="{}" fill="none" stroke="#1565c0" stroke-width="2"/>"##, line.join(" "));
    }
    for p in points {
        match p.1 {
            Some(v) => {
                let _ = write!(
                    s,
                    r##"<circle cx="{:.1}" cy="{:.1}" r="4" fill="#1565c0"><title>iteration {}: {}</title></circle>"##,
                    x(p.0),
                    y(v),
                    p.0,
                    pct(v)
                );
            }
            None => {
                let _ = write!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#c62828">✗</text>"##,
                    x(p.0),
                    y(0.0) - 4.0
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f4f4f4}pre{background:#f8f8f8;padding:8px;overflow:auto;max-height:360px;font-size:12px}\
.ok{color:#2e7d32}.bad{color:#c62828}.warn{color:#b26a00}details{margin:.5em 0;border:1px solid #ddd;padding:.3em .6em}\
summary{cursor:pointer}.big{font-size:2em;font-weight:bold}";

/// The id of a failed run's detail in the report (`run-<scenario>-<repetition>`, with
/// anything but letters, digits, `-` and `_` as `_`).
pub fn run_anchor(scenario: &str, repetition: u32) -> String {
    let safe: String =
        scenario.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("run-{safe}-{repetition}")
}

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::AgentError => "agent error",
        Outcome::InfraError => "infra error",
        Outcome::Unsatisfied => "unsatisfied",
        Outcome::Satisfied => "satisfied",
    }
}

/// One line on why a run failed: its error's cause, or its failed checks.
fn why(r: &RunRecord) -> String {
    if let Some(c) = crate::diagnose::cause_of(r) {
        return c.headline;
    }
    let failed: Vec<&str> = r.failed_checks().map(|c| c.id.as_str()).collect();
    if failed.is_empty() {
        String::new()
    } else {
        format!("failed checks: {}", failed.join(", "))
    }
}

/// The HTML report. `records` are the runs that may be shown in detail.
pub fn html(results: &Results, records: &[RunRecord]) -> String {
    let s = &results.summary;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>DTU evaluation</title><style>{CSS}</style></head><body>"
    );
    let _ = write!(
        h,
        "<h1>DTU evaluation</h1><p>Agent <code>{}</code> · generated {} · evaluator {}</p>",
        html_escape(&results.agent),
        results.generated_at.format("%Y-%m-%d %H:%M:%S UTC"),
        results.evaluator_version
    );
    let _ = write!(
        h,
        "<p class=\"big\">Satisfaction {} <span style=\"font-size:.5em\">(95% CI {}–{})</span></p>",
        pct(s.satisfaction),
        pct(s.ci95[0]),
        pct(s.ci95[1])
    );
    let _ = write!(
        h,
        "<table><tr><th>Scenarios</th><th>Runs counted</th><th>Satisfied</th><th>Share of runs</th><th>Agent errors</th><th>Infra errors (excluded)</th><th>Rubric checks judged</th></tr>\
         <tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}/{}</td></tr></table>",
        s.scenarios, s.runs, s.satisfied, pct(s.micro), s.agent_errors, s.infra_errors, s.rubric_judged, s.rubric_checks
    );
    if !s.pass_hat_k.is_empty() {
        h.push_str("<table><tr><th>k</th>");
        for kv in &s.pass_hat_k {
            let _ = write!(h, "<th>{}</th>", kv.k);
        }
        h.push_str("</tr><tr><th>pass^k</th>");
        for kv in &s.pass_hat_k {
            let _ = write!(h, "<td>{}</td>", pct(kv.value));
        }
        h.push_str("</tr></table>");
    }
    if let Some(ho) = &results.holdout {
        let _ = write!(
            h,
            "<h2>Holdout</h2><p>{} scenario(s), {} run(s): satisfaction {} (95% CI {}–{}).</p><p>Failing tags: {}</p>",
            ho.scenarios,
            ho.runs,
            pct(ho.satisfaction),
            pct(ho.ci95[0]),
            pct(ho.ci95[1]),
            if ho.failing_tags.is_empty() { "none".to_string() } else { html_escape(&ho.failing_tags.join(", ")) }
        );
        if results.redacted {
            h.push_str("<p><em>Holdout scenarios are summarised only.</em></p>");
        }
    }
    // The failed runs shown in detail below (the first MAX_DRILLDOWN).
    let drilled: std::collections::BTreeSet<(&str, u32)> = records
        .iter()
        .filter(|r| r.outcome != Outcome::Satisfied)
        .take(MAX_DRILLDOWN)
        .map(|r| (r.scenario.as_str(), r.repetition))
        .collect();
    if !results.scenarios.is_empty() {
        let rows: Vec<(String, f64, Option<[f64; 2]>)> =
            results.scenarios.iter().map(|r| (r.id.clone(), r.rate, Some(r.wilson95))).collect();
        h.push_str("<h2>By scenario</h2>");
        h.push_str(&svg_bars("Satisfaction per scenario (Wilson 95% CI)", &rows));
        h.push_str("<table><tr><th>Scenario</th><th>Tags</th><th>Satisfied</th><th>Rate</th><th>pass^k (k = runs)</th><th>Failing checks (runs)</th><th>Runs not satisfied</th></tr>");
        for r in &results.scenarios {
            let failing: Vec<String> = r.failed_checks.iter().map(|(k, v)| format!("{k} ({v})")).collect();
            let last = r.pass_hat_k.last().map(|kv| format!("{} (k={})", pct(kv.value), kv.k)).unwrap_or_default();
            let links: Vec<String> = records
                .iter()
                .filter(|x| x.outcome != Outcome::Satisfied && x.scenario_hash == r.hash)
                .filter(|x| drilled.contains(&(x.scenario.as_str(), x.repetition)))
                .map(|x| format!("<a href=\"#{}\">run {}</a>", run_anchor(&x.scenario, x.repetition), x.repetition))
                .collect();
            let _ = write!(
                h,
                "<tr><td><b>{}</b><br>{}</td><td>{}</td><td>{}/{}{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                html_escape(&r.id),
                html_escape(&r.title),
                html_escape(&r.tags.join(", ")),
                r.satisfied,
                r.runs,
                if r.infra_errors > 0 { format!(" <span class=\"warn\">(+{} infra)</span>", r.infra_errors) } else { String::new() },
                if r.rate >= 0.9 { "ok" } else { "bad" },
                pct(r.rate),
                last,
                html_escape(&failing.join(", ")),
                links.join(" ")
            );
        }
        h.push_str("</table>");
    }
    if !results.tags.is_empty() {
        let rows: Vec<(String, f64, Option<[f64; 2]>)> =
            results.tags.iter().map(|t| (format!("{} ({})", t.tag, t.scenarios), t.satisfaction, None)).collect();
        h.push_str("<h2>By tag</h2>");
        h.push_str(&svg_bars("Satisfaction per tag (mean over its scenarios)", &rows));
    }
    let failed: Vec<&RunRecord> = records.iter().filter(|r| r.outcome != Outcome::Satisfied).collect();
    if !failed.is_empty() {
        let _ = write!(h, "<h2 id=\"failed-runs\">Runs not satisfied ({})</h2>", failed.len());
        if let Some(d) = crate::diagnose::diagnose(records) {
            let _ = write!(
                h,
                "<p id=\"cause\">Most common cause of the agent and infra errors ({} of {} run(s)): <code>{}</code> (<a href=\"#{}\">{} run {}</a>)",
                d.runs,
                d.failed,
                html_escape(&d.cause.headline),
                run_anchor(&d.scenario, d.repetition),
                html_escape(&d.scenario),
                d.repetition
            );
            if let Some(advice) = &d.cause.advice {
                let _ = write!(h, "<br>To fix: {}", html_escape(advice));
            }
            h.push_str("</p>");
        }
        // An index: each run, why it failed, and a link to its detail below.
        h.push_str("<table><tr><th>Run</th><th>Outcome</th><th>Why</th></tr>");
        for r in failed.iter().take(MAX_DRILLDOWN) {
            let _ = write!(
                h,
                "<tr><td><a href=\"#{}\">{} run {}</a></td><td class=\"{}\">{}</td><td>{}</td></tr>",
                run_anchor(&r.scenario, r.repetition),
                html_escape(&r.scenario),
                r.repetition,
                if r.outcome == Outcome::InfraError { "warn" } else { "bad" },
                outcome_word(r.outcome),
                html_escape(&why(r))
            );
        }
        h.push_str("</table>");
        for r in failed.iter().take(MAX_DRILLDOWN) {
            let _ = write!(
                h,
                "<details id=\"{}\"><summary><b>{}</b> run {} — {}</summary>",
                run_anchor(&r.scenario, r.repetition),
                html_escape(&r.scenario),
                r.repetition,
                outcome_word(r.outcome)
            );
            if let Some(a) = &r.agent {
                let _ = write!(h, "<p>Agent {} in {:.1} s.</p>", html_escape(&a.description), a.duration_ms / 1000.0);
            }
            if let Some(e) = &r.error {
                let _ = write!(h, "<p class=\"warn\">{}</p>", html_escape(e));
            }
            if !r.checks.is_empty() {
                h.push_str("<h3>Checks</h3><table><tr><th>Check</th><th>Result</th><th>Detail</th></tr>");
                for c in &r.checks {
                    let (cls, word) = match c.status {
                        Status::Pass => ("ok", "pass"),
                        Status::Fail => ("bad", "FAIL"),
                        Status::Skipped => ("warn", "skipped"),
                    };
                    let _ = write!(
                        h,
                        "<tr><td>{} <small>({})</small></td><td class=\"{cls}\">{word}</td><td>{}</td></tr>",
                        html_escape(&c.id),
                        html_escape(&c.kind),
                        html_escape(&c.message)
                    );
                }
                h.push_str("</table>");
            }
            if let Some(d) = &r.detail {
                if !d.stderr.trim().is_empty() {
                    let _ = write!(h, "<h3>Agent stderr</h3><pre>{}</pre>", html_escape(&d.stderr));
                }
                if !d.stdout.trim().is_empty() {
                    let _ = write!(h, "<h3>Agent stdout</h3><pre>{}</pre>", html_escape(&d.stdout));
                }
                let diff = serde_json::to_string_pretty(&d.diff).unwrap_or_default();
                let _ = write!(h, "<h3>Diff since the prepared state</h3><pre>{}</pre>", html_escape(&diff));
                let _ = write!(
                    h,
                    "<h3>Trajectory (the run's requests, from the journal)</h3><pre>{}</pre>",
                    if d.journal.is_empty() { "(no requests)".to_string() } else { html_escape(&d.journal.join("\n")) }
                );
            }
            h.push_str("<p><a href=\"#failed-runs\">↑ runs not satisfied</a></p></details>");
        }
        if failed.len() > MAX_DRILLDOWN {
            let _ = write!(h, "<p>… and {} more (see runs.jsonl).</p>", failed.len() - MAX_DRILLDOWN);
        }
    }
    h.push_str("</body></html>\n");
    h
}

/// JUnit XML: a suite per scenario shown, a case per run; holdout as one case.
pub fn junit(results: &Results, records: &[RunRecord]) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures, mut errors, mut skipped) = (0usize, 0usize, 0usize, 0usize);
    for sc in &results.scenarios {
        let mut runs: Vec<&RunRecord> = records.iter().filter(|r| r.scenario_hash == sc.hash).collect();
        runs.sort_by_key(|r| r.repetition);
        let mut cases = String::new();
        let (mut f, mut e, mut sk) = (0, 0, 0);
        for r in &runs {
            let _ = write!(
                cases,
                "    <testcase classname=\"dtu.{}\" name=\"run {}\" time=\"{:.3}\">",
                xml_escape(&sc.id),
                r.repetition,
                r.duration_ms / 1000.0
            );
            match r.outcome {
                Outcome::Satisfied => {}
                Outcome::Unsatisfied => {
                    f += 1;
                    let failed: Vec<String> = r.failed_checks().map(|c| format!("{}: {}", c.id, c.message)).collect();
                    let names: Vec<&str> = r.failed_checks().map(|c| c.id.as_str()).collect();
                    let _ = write!(
                        cases,
                        "<failure message=\"failed checks: {}\">{}</failure>",
                        xml_escape(&names.join(", ")),
                        xml_escape(&failed.join("\n"))
                    );
                }
                Outcome::AgentError => {
                    e += 1;
                    let d = r.agent.as_ref().map(|a| a.description.clone()).unwrap_or_default();
                    let _ = write!(cases, "<error message=\"agent {}\"/>", xml_escape(&d));
                }
                Outcome::InfraError => {
                    sk += 1;
                    let _ = write!(
                        cases,
                        "<skipped message=\"infra error: {}\"/>",
                        xml_escape(r.error.as_deref().unwrap_or(""))
                    );
                }
            }
            cases.push_str("</testcase>\n");
        }
        tests += runs.len();
        failures += f;
        errors += e;
        skipped += sk;
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"{e}\" skipped=\"{sk}\">\n{cases}  </testsuite>\n",
            xml_escape(&sc.id),
            runs.len()
        );
    }
    if let Some(ho) = &results.holdout {
        if results.redacted {
            tests += 1;
            let failing = ho.runs > 0 && ho.satisfaction < 1.0;
            let _ = write!(
                suites,
                "  <testsuite name=\"holdout\" tests=\"1\" failures=\"{}\" errors=\"0\" skipped=\"0\">\n    <testcase classname=\"dtu.holdout\" name=\"satisfaction\">",
                u8::from(failing)
            );
            if failing {
                failures += 1;
                let _ = write!(
                    suites,
                    "<failure message=\"holdout satisfaction {}; failing tags: {}\"/>",
                    pct(ho.satisfaction),
                    xml_escape(&ho.failing_tags.join(", "))
                );
            }
            suites.push_str("</testcase>\n  </testsuite>\n");
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"dtu eval\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">\n{suites}</testsuites>\n"
    )
}

/// Writes a file beside its place and renames it there, so a reader never sees half a file.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(|e| EvalError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| EvalError::io(path, e))
}

/// Writes `results.json`, `junit.xml` and `report.html` into `dir`. When `results`
/// is redacted, only dev-split records are shown.
pub fn write_all(dir: &Path, results: &Results, records: &[RunRecord]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| EvalError::io(dir, e))?;
    let shown: Vec<RunRecord> = records
        .iter()
        .filter(|r| !results.redacted || r.split == Split::Dev)
        .filter(|r| results.scenarios.iter().any(|s| s.hash == r.scenario_hash))
        .cloned()
        .collect();
    let json = serde_json::to_string_pretty(results)
        .map_err(|e| EvalError::BadFile { path: dir.join("results.json"), message: e.to_string() })?;
    write_atomic(&dir.join("results.json"), &json)?;
    write_atomic(&dir.join("junit.xml"), &junit(results, &shown))?;
    write_atomic(&dir.join("report.html"), &html(results, &shown))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::aggregate;
    use crate::results::tests::{loaded, record};

    #[test]
    fn escapes() {
        assert_eq!(html_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(xml_escape("a\u{1}b\nc"), "ab\nc");
    }

    #[test]
    fn svg_is_self_contained_and_scaled() {
        let svg = svg_bars("T", &[("a<b".into(), 0.5, Some([0.2, 0.8])), ("c".into(), 1.0, None)]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("a&lt;b"));
        assert!(svg.contains("width=\"210.0\""), "{svg}"); // half of 420
        assert!(svg.contains("50.0%") && svg.contains("100.0%"));
    }

    #[test]
    fn line_chart_has_points_band_and_threshold() {
        let svg = svg_line(
            "S",
            &[(1, Some(0.0), Some([0.0, 0.4])), (2, None, None), (3, Some(1.0), Some([0.6, 1.0]))],
            Some(0.8),
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("<polygon") && svg.contains("threshold 80.0%") && svg.contains("✗"));
        // Iteration 1 at the left edge at 0%, iteration 3 at the right edge at 100%.
        assert!(svg.contains(r#"cx="50.0" cy="270.0""#) && svg.contains(r#"cx="610.0" cy="30.0""#), "{svg}");
    }

    #[test]
    fn outputs_for_a_mixed_run() {
        let scenarios = vec![(loaded("dev1", &["slack"]), Split::Dev), (loaded("secret1", &["okta"]), Split::Holdout)];
        let mut records = vec![record("dev1", 0, Outcome::Satisfied), record("dev1", 1, Outcome::Unsatisfied)];
        let mut s = record("secret1", 0, Outcome::Unsatisfied);
        s.split = Split::Holdout;
        records.push(s);
        let mut e = record("dev1", 2, Outcome::AgentError);
        e.agent = Some(crate::results::AgentSummary {
            exit_code: Some(1),
            signal: None,
            timed_out: false,
            duration_ms: 5.0,
            description: "exited 1".into(),
        });
        records.push(e);
        let results = aggregate(&scenarios, &records, "agent <x>", true);
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path(), &results, &records).unwrap();
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
        let json = std::fs::read_to_string(dir.path().join("results.json")).unwrap();
        for text in [&html, &junit, &json] {
            assert!(!text.contains("secret1"), "holdout leaked");
        }
        assert!(html.contains("<svg") && html.contains("Failing tags: okta"));
        assert!(html.contains("agent &lt;x&gt;"));
        assert!(junit.contains("tests=\"4\" failures=\"2\" errors=\"1\""), "{junit}");
        assert!(junit.contains("<failure message=\"failed checks: trajectory-1\">"));
        assert!(junit.contains("name=\"holdout\""));
        // Each failed run shown is linked from its scenario's row and the index to its detail.
        assert!(html.contains("<a href=\"#run-dev1-1\">run 1</a> <a href=\"#run-dev1-2\">run 2</a>"), "{html}");
        assert!(
            html.contains("<details id=\"run-dev1-2\">") && html.contains("<td>exited 1 with nothing on stderr</td>")
        );
        assert!(html.contains("<td>failed checks: trajectory-1</td>"), "{html}");
        assert_eq!(run_anchor("a b/c", 3), "run-a_b_c-3");
        let back: Results = serde_json::from_str(&json).unwrap();
        assert_eq!(back, results);
    }
}
