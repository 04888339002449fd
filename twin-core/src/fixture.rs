//! Universe fixtures: a company, its people and groups, and one opaque section per
//! service. twin-core checks the shared part; each twin parses its own section.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("{name}: cannot read: {source}")]
    Read { name: String, source: std::io::Error },
    #[error("{name}: {message}")]
    Parse { name: String, message: String },
    #[error("{name}: {message}")]
    Invalid { name: String, message: String },
    #[error("no fixture named '{0}' (fixtures are chosen by name over HTTP; paths are refused)")]
    UnknownName(String),
    #[error("fixture '{fixture}', section '{service}': {message}")]
    Service { fixture: String, service: &'static str, message: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Company {
    pub name: String,
    pub domain: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    #[default]
    Active,
    Suspended,
    Deprovisioned,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub key: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub manager: Option<String>,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub status: PersonStatus,
}

impl Person {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

fn default_timezone() -> String {
    "America/Los_Angeles".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub name: String,
    pub company: Company,
    #[serde(default)]
    pub people: Vec<Person>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub okta: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jira: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google: Option<Value>,
}

/// The most people a fixture may hold: bounds memory for inline fixtures.
pub const MAX_PEOPLE: usize = 100_000;

impl Fixture {
    /// Parses YAML (or JSON, a subset) and checks the shared part.
    pub fn from_yaml(name: &str, text: &str) -> Result<Self, FixtureError> {
        let fixture: Fixture = serde_yaml_ng::from_str(text)
            .map_err(|e| FixtureError::Parse { name: name.to_string(), message: e.to_string() })?;
        fixture.validate()?;
        Ok(fixture)
    }

    pub fn from_value(value: Value) -> Result<Self, FixtureError> {
        let fixture: Fixture = serde_json::from_value(value)
            .map_err(|e| FixtureError::Parse { name: "inline".into(), message: e.to_string() })?;
        fixture.validate()?;
        Ok(fixture)
    }

    pub fn from_file(path: &Path) -> Result<Self, FixtureError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Read { name: name.clone(), source })?;
        Self::from_yaml(&name, &text)
    }

    pub fn person(&self, key: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.key == key)
    }

    /// The section a twin reads, if the fixture has one.
    pub fn section(&self, service: &str) -> Option<&Value> {
        match service {
            "slack" => self.slack.as_ref(),
            "okta" => self.okta.as_ref(),
            "jira" => self.jira.as_ref(),
            "google" => self.google.as_ref(),
            _ => None,
        }
    }

    fn invalid(&self, message: String) -> FixtureError {
        FixtureError::Invalid { name: self.name.clone(), message }
    }

    pub fn validate(&self) -> Result<(), FixtureError> {
        if self.people.len() > MAX_PEOPLE {
            return Err(self.invalid(format!("{} people; at most {MAX_PEOPLE}", self.people.len())));
        }
        let mut keys = HashSet::new();
        let mut emails = HashSet::new();
        for p in &self.people {
            if p.key.is_empty() {
                return Err(self.invalid("a person has an empty key".into()));
            }
            if !keys.insert(p.key.as_str()) {
                return Err(self.invalid(format!("person key '{}' appears twice", p.key)));
            }
            let valid_email = p.email.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.'));
            if !valid_email {
                return Err(self.invalid(format!("person '{}' has an invalid email '{}'", p.key, p.email)));
            }
            if !emails.insert(p.email.to_ascii_lowercase()) {
                return Err(self.invalid(format!("email '{}' appears twice", p.email)));
            }
        }
        for p in &self.people {
            if let Some(m) = &p.manager {
                if !keys.contains(m.as_str()) {
                    return Err(self.invalid(format!("person '{}' has unknown manager '{m}'", p.key)));
                }
            }
        }
        let mut group_keys = HashSet::new();
        for g in &self.groups {
            if !group_keys.insert(g.key.as_str()) {
                return Err(self.invalid(format!("group key '{}' appears twice", g.key)));
            }
            if let Some(m) = g.members.iter().find(|m| !keys.contains(m.as_str())) {
                return Err(self.invalid(format!("group '{}' has unknown member '{m}'", g.key)));
            }
        }
        Ok(())
    }

    /// A deterministic company of `people` people, for scale tests and benchmarks.
    pub fn generated(people: usize) -> Self {
        const DEPARTMENTS: [&str; 5] = ["Engineering", "Sales", "Operations", "Marketing", "Finance"];
        const FIRST: [&str; 16] = [
            "Ada", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea", "Max", "Nia", "Oto",
            "Pia",
        ];
        const LAST: [&str; 16] = [
            "Abe", "Brook", "Chen", "Diaz", "Ek", "Fox", "Gray", "Hale", "Ito", "Jain", "Kerr", "Lund", "Moss", "Nagy",
            "Ortiz", "Park",
        ];
        let people_list: Vec<Person> = (0..people)
            .map(|i| {
                let department = DEPARTMENTS[i % DEPARTMENTS.len()];
                let manager = (i >= DEPARTMENTS.len()).then(|| format!("p{:05}", i % DEPARTMENTS.len()));
                Person {
                    key: format!("p{i:05}"),
                    first_name: FIRST[i % 16].to_string(),
                    last_name: format!("{}{}", LAST[(i / 16) % 16], i / 256),
                    email: format!("p{i:05}@big.test"),
                    title: if i < DEPARTMENTS.len() { format!("Head of {department}") } else { "Staff".into() },
                    department: department.to_string(),
                    manager: if i == 0 { None } else { manager.or_else(|| Some("p00000".into())) },
                    timezone: default_timezone(),
                    phone: None,
                    status: PersonStatus::Active,
                }
            })
            .collect();
        let groups = DEPARTMENTS
            .iter()
            .enumerate()
            .map(|(d, name)| Group {
                key: name.to_ascii_lowercase(),
                name: name.to_string(),
                description: format!("Everyone in {name}"),
                members: people_list.iter().skip(d).step_by(DEPARTMENTS.len()).map(|p| p.key.clone()).collect(),
            })
            .collect();
        let first = people_list.first().map(|p| p.key.clone()).unwrap_or_default();
        let slack = (!people_list.is_empty()).then(|| {
            json!({
                "team": {"name": "Big Co", "domain": "bigco"},
                "bot": {"name": "dtu-bot", "display_name": "DTU Bot"},
                "user_token_owner": first,
                "channels": [
                    {"name": "general", "members": "all", "bot_member": true,
                     "messages": [{"from": first, "text": "Welcome to Big Co", "ago": "1d"}]},
                    {"name": "engineering", "members": "all", "bot_member": true},
                ]
            })
        });
        Fixture {
            name: format!("generated-{people}"),
            company: Company { name: "Big Co".into(), domain: "big.test".into() },
            people: people_list,
            groups,
            slack,
            okta: None,
            jira: None,
            google: None,
        }
    }
}

/// Fixtures a server knows by name. Requests may only name one of these.
#[derive(Debug, Default)]
pub struct FixtureLibrary {
    by_name: BTreeMap<String, std::sync::Arc<Fixture>>,
}

/// The people count of the `large` fixture.
pub const LARGE_PEOPLE: usize = 10_000;

/// Generated Drive files per person in the `large` fixture: 100,000 in all, the scale
/// the Drive figures of `BENCHMARKS.md` are measured at.
pub const LARGE_FILES_PER_PERSON: usize = 10;

impl Fixture {
    /// The `large` fixture every server knows by name: [`Fixture::generated`] with
    /// [`LARGE_PEOPLE`] people, and [`LARGE_FILES_PER_PERSON`] Drive files for each.
    pub fn large() -> Self {
        let mut fixture = Fixture::generated(LARGE_PEOPLE);
        fixture.google = Some(json!({"generated_files_per_person": LARGE_FILES_PER_PERSON}));
        fixture
    }
}

impl FixtureLibrary {
    pub fn insert(&mut self, name: &str, fixture: Fixture) {
        self.by_name.insert(name.to_string(), std::sync::Arc::new(fixture));
    }

    pub fn get(&self, name: &str) -> Result<std::sync::Arc<Fixture>, FixtureError> {
        self.by_name.get(name).cloned().ok_or_else(|| FixtureError::UnknownName(name.to_string()))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    /// Loads every `*.yaml` file of a directory, each named by its file stem.
    pub fn load_dir(&mut self, dir: &Path) -> Result<(), FixtureError> {
        let entries =
            std::fs::read_dir(dir).map_err(|source| FixtureError::Read { name: dir.display().to_string(), source })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                    self.insert(stem, Fixture::from_file(&path)?);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_manager_and_duplicate_keys() {
        let text = "name: t\ncompany: {name: T, domain: t.test}\npeople:\n  - {key: a, first_name: A, last_name: A, email: a@t.test, manager: zed}\n";
        let err = Fixture::from_yaml("t", text).unwrap_err().to_string();
        assert!(err.contains("unknown manager 'zed'"), "{err}");
        let dup = "name: t\ncompany: {name: T, domain: t.test}\npeople:\n  - {key: a, first_name: A, last_name: A, email: a@t.test}\n  - {key: a, first_name: B, last_name: B, email: b@t.test}\n";
        assert!(Fixture::from_yaml("t", dup).unwrap_err().to_string().contains("twice"));
    }

    #[test]
    fn parse_errors_name_the_line() {
        let err =
            Fixture::from_yaml("bad.yaml", "name: t\ncompany: {name: T, domain: t.test}\npeople: 3\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("bad.yaml:") && msg.contains("line 3"), "{msg}");
    }

    #[test]
    fn generated_fixture_is_valid() {
        let f = Fixture::generated(1000);
        f.validate().unwrap();
        assert_eq!(f.people.len(), 1000);
        assert_eq!(f.groups.iter().map(|g| g.members.len()).sum::<usize>(), 1000);
    }
}
