//! `evaluator/scenario.schema.json` stays in step with the loader: every object's
//! properties are exactly the fields the loader accepts, and the example scenarios
//! validate against the schema (with Python's jsonschema from the repository venv).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use dtu_evaluator::scenario::parse;
use serde_json::Value;

use common::root;

fn schema() -> Value {
    let text = std::fs::read_to_string(root().join("evaluator/scenario.schema.json")).unwrap();
    serde_json::from_str(&text).expect("the schema is JSON")
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

/// The fields the loader accepts where `yaml` has an unknown field `zzz`, read from
/// serde's "unknown field `zzz`, expected one of …" message.
fn accepted(yaml: &str) -> BTreeSet<String> {
    let err = parse(Path::new("t.yaml"), yaml).expect_err("zzz is unknown");
    let msg = &err[0].message;
    let list = msg
        .split("expected one of ")
        .nth(1)
        .or_else(|| msg.split("expected ").nth(1))
        .unwrap_or_else(|| panic!("{msg}"));
    list.split([',', ' '])
        .map(|s| s.trim().trim_matches('`').to_string())
        .filter(|s| !s.is_empty() && s != "or")
        .collect()
}

const HEAD: &str = "id: a\ntitle: t\nintent: x\n";

#[test]
fn schema_properties_match_the_loader() {
    let s = schema();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let cases: Vec<(String, &Value)> = vec![
        (format!("{HEAD}zzz: 1\nchecks:\n  - trajectory: {{max_calls: 1}}\n"), &s["properties"]),
        (format!("{HEAD}checks:\n  - {{zzz: 1, trajectory: {{max_calls: 1}}}}\n"), &s["$defs"]["check"]["properties"]),
        (format!("{HEAD}checks:\n  - state: {{query: a, equals: 1, zzz: 1}}\n"), &s["$defs"]["state"]["properties"]),
        (format!("{HEAD}checks:\n  - trajectory: {{max_calls: 1, zzz: 1}}\n"), &s["$defs"]["trajectory"]["properties"]),
        (
            format!("{HEAD}checks:\n  - collateral: {{allow: [{{service: slack, collection: m, change: created, zzz: 1}}]}}\n"),
            &s["$defs"]["collateral"]["properties"]["allow"]["items"]["properties"],
        ),
        (format!("{HEAD}checks:\n  - collateral: {{zzz: 1}}\n"), &s["$defs"]["collateral"]["properties"]),
        (
            format!("{HEAD}setup:\n  - {{control: {{path: x, zzz: 1}}}}\nchecks:\n  - trajectory: {{max_calls: 1}}\n"),
            &s["properties"]["setup"]["items"]["properties"]["control"]["properties"],
        ),
        (
            format!("{HEAD}setup:\n  - {{call: {{service: slack, path: x, zzz: 1}}}}\nchecks:\n  - trajectory: {{max_calls: 1}}\n"),
            &s["properties"]["setup"]["items"]["properties"]["call"]["properties"],
        ),
        (
            format!("{HEAD}setup:\n  - {{zzz: 1}}\nchecks:\n  - trajectory: {{max_calls: 1}}\n"),
            &s["properties"]["setup"]["items"]["properties"],
        ),
        (
            format!("{HEAD}clock: {{start: \"2030-01-01T00:00:00Z\", zzz: 1}}\nchecks:\n  - trajectory: {{max_calls: 1}}\n"),
            &s["properties"]["clock"]["properties"],
        ),
        (
            format!("{HEAD}chaos:\n  - {{action: {{kind: reset}}, zzz: 1}}\nchecks:\n  - trajectory: {{max_calls: 1}}\n"),
            &s["properties"]["chaos"]["items"]["properties"],
        ),
    ];
    for (yaml, props) in cases {
        assert_eq!(accepted(&yaml), keys(props), "schema and loader disagree for\n{yaml}");
    }
}

#[test]
fn example_scenarios_validate_against_the_schema() {
    let python = common::python();
    let script = r#"
import json, pathlib, sys, yaml
from jsonschema import Draft202012Validator
root = pathlib.Path(sys.argv[1])
schema = json.loads((root / "evaluator/scenario.schema.json").read_text())
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
files = sorted((root / "scenarios").rglob("*.yaml"))
assert files, "no example scenarios"
bad = 0
for f in files:
    for e in v.iter_errors(yaml.safe_load(f.read_text())):
        print(f"{f}: {e.json_path}: {e.message}")
        bad += 1
# A scenario the loader refuses is refused by the schema too.
refused = {"id": "x", "title": "t", "intent": "i", "checks": [{"state": {"query": "a", "equals": 1, "truthy": True}}]}
assert list(v.iter_errors(refused)), "two expectations must be refused"
print(f"{len(files)} files, {bad} errors")
sys.exit(1 if bad else 0)
"#;
    let out = Command::new(&python).arg("-c").arg(script).arg(root()).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(text.contains(", 0 errors"), "{text}");
}
