//! Profile schemas (Universal Directory): the user schema of each user type, the
//! group schema and each app's user schema, with the custom attributes an admin
//! adds; user types; linked-object definitions and values; group owners. Custom
//! attributes are enforced on every profile write (type, required, enum / oneOf,
//! pattern, min/maxLength, `unique: UNIQUE_VALIDATED`), each problem one cause of
//! Okta's 400 E0000001.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::errors::OktaError;
use crate::model::OktaState;

/// Custom attributes a schema may hold; Okta's own limit is in the hundreds.
pub const MAX_CUSTOM_ATTRIBUTES: usize = 200;
/// The longest `pattern` accepted, so a hostile regex costs little to compile.
const MAX_PATTERN: usize = 1024;
/// User types an org may have (Okta allows 10 besides the default).
pub const MAX_USER_TYPES: usize = 10;
pub const MAX_LINKED_OBJECTS: usize = 200;
pub const ATTRIBUTE_TYPES: [&str; 5] = ["string", "boolean", "number", "integer", "array"];

/// Which profiles a schema describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SchemaOf {
    User { type_id: String },
    Group,
    AppUser { app_id: String },
}

/// A schema's custom attributes (its base attributes are the vendor's constants).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileSchema {
    pub id: String,
    pub of: SchemaOf,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    /// Attribute name → its definition, as Okta renders it.
    pub custom: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserType {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub schema_id: String,
    pub created: DateTime<Utc>,
    pub created_by: String,
    pub last_updated: DateTime<Utc>,
    pub last_updated_by: String,
}

/// A linked-object definition: a primary and an associated relationship name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedObject {
    pub primary_name: String,
    pub primary_title: String,
    pub primary_description: String,
    pub associated_name: String,
    pub associated_title: String,
    pub associated_description: String,
}

/// A linked-object value: `associated_user` points at `primary_user` (a report at
/// its manager). Keyed `{primaryName}:{associatedUserId}`: one primary per associated user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserLink {
    pub primary_name: String,
    pub primary_user: String,
    pub associated_user: String,
}

/// A group owner: a user or a group. Keyed `{groupId}:{ownerId}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupOwner {
    pub group_id: String,
    pub owner_id: String,
    /// `USER` or `GROUP`.
    pub owner_type: String,
    pub last_updated: DateTime<Utc>,
}

/// The key of the group schema and of an app's user schema in `profile_schemas`;
/// a user schema is keyed by its id.
pub const GROUP_SCHEMA_KEY: &str = "group";

pub fn app_schema_key(app_id: &str) -> String {
    format!("app:{app_id}")
}

/// The custom attributes that govern a profile kind (none until an admin adds some).
pub fn custom_of<'a>(s: &'a OktaState, key: &str) -> Option<&'a Map<String, Value>> {
    s.profile_schemas.get(key).map(|p| &p.custom)
}

/// The schema id of a user type (the default type's is the org's user schema id).
pub fn user_schema_key(s: &OktaState, type_id: &str) -> String {
    match s.user_types.get(type_id) {
        Some(t) => t.schema_id.clone(),
        None => s.user_schema_id.clone(),
    }
}

/// Enforces a user type's custom attributes on a user profile (`except`: the user written).
pub fn enforce_user(
    s: &OktaState,
    type_id: &str,
    profile: &Map<String, Value>,
    except: Option<&str>,
) -> Result<(), OktaError> {
    let Some(custom) = custom_of(s, &user_schema_key(s, type_id)) else { return Ok(()) };
    check_profile(custom, profile, || {
        s.users.values().filter(|u| Some(u.id.as_str()) != except).map(|u| &u.profile).collect()
    })
}

/// Enforces the group schema's custom attributes on a group profile.
pub fn enforce_group(s: &OktaState, profile: &Map<String, Value>, except: Option<&str>) -> Result<(), OktaError> {
    let Some(custom) = custom_of(s, GROUP_SCHEMA_KEY) else { return Ok(()) };
    check_profile(custom, profile, || {
        s.groups.values().filter(|g| Some(g.id.as_str()) != except).map(|g| &g.profile).collect()
    })
}

/// Enforces an app's user schema on an assignment profile; a group assignment's
/// profile is not held to `required` (its members' own assignments are).
pub fn enforce_app_user(
    s: &OktaState,
    app_id: &str,
    profile: &Value,
    except_user: Option<&str>,
    for_group: bool,
) -> Result<(), OktaError> {
    let Some(custom) = custom_of(s, &app_schema_key(app_id)) else { return Ok(()) };
    let empty = Map::new();
    let profile = profile.as_object().unwrap_or(&empty);
    let relaxed;
    let custom = if for_group {
        relaxed = custom
            .iter()
            .map(|(k, v)| {
                let mut v = v.clone();
                if let Some(o) = v.as_object_mut() {
                    o.remove("required");
                }
                (k.clone(), v)
            })
            .collect::<Map<String, Value>>();
        &relaxed
    } else {
        custom
    };
    let prefix = format!("{app_id}:");
    check_profile(custom, profile, || {
        s.app_users
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(_, a)| Some(a.user_id.as_str()) != except_user)
            .filter_map(|(_, a)| a.profile.as_object())
            .collect()
    })
}

/// Checks a whole profile against custom attribute definitions; every problem is a
/// cause `name: why`. `others` are the profiles `unique` attributes must differ from.
pub fn check_profile<'a>(
    custom: &Map<String, Value>,
    profile: &Map<String, Value>,
    others: impl Fn() -> Vec<&'a Map<String, Value>>,
) -> Result<(), OktaError> {
    let mut causes = Vec::new();
    let mut first = None;
    let mut others_cache: Option<Vec<&Map<String, Value>>> = None;
    for (name, def) in custom {
        let value = profile.get(name).filter(|v| !v.is_null());
        let mut fail = |why: String| {
            first.get_or_insert_with(|| name.clone());
            causes.push(format!("{name}: {why}"));
        };
        let Some(value) = value else {
            if def.get("required").and_then(Value::as_bool) == Some(true) {
                fail("The field cannot be left blank".into());
            }
            continue;
        };
        if let Err(why) = check_value(def, value) {
            fail(why);
            continue;
        }
        if def.get("unique").and_then(Value::as_str) == Some("UNIQUE_VALIDATED") {
            let others = others_cache.get_or_insert_with(&others);
            let same = |v: &Value| match (v, value) {
                (Value::String(a), Value::String(b)) => a.to_lowercase() == b.to_lowercase(),
                (a, b) => a == b,
            };
            if others.iter().any(|p| p.get(name).is_some_and(same)) {
                fail("An object with this field already exists in the current organization".into());
            }
        }
    }
    match first {
        None => Ok(()),
        Some(field) => Err(OktaError::Validation { field, causes }),
    }
}

/// One value against one attribute definition.
fn check_value(def: &Value, value: &Value) -> Result<(), String> {
    let kind = def.get("type").and_then(Value::as_str).unwrap_or("string");
    let mismatch = || format!("Does not match required type: {kind}");
    match kind {
        "array" => {
            let items = value.as_array().ok_or_else(mismatch)?;
            let item_kind = def.pointer("/items/type").and_then(Value::as_str).unwrap_or("string");
            for item in items {
                if !scalar_fits(item_kind, item) {
                    return Err(format!("Does not match required type: array of {item_kind}"));
                }
                check_enum(def, item)?;
            }
            Ok(())
        }
        _ => {
            if !scalar_fits(kind, value) {
                return Err(mismatch());
            }
            check_enum(def, value)?;
            if let Value::String(text) = value {
                let n = text.chars().count() as u64;
                if let Some(max) = def.get("maxLength").and_then(Value::as_u64) {
                    if n > max {
                        return Err(format!("The field is too long (maximum {max} characters)"));
                    }
                }
                if let Some(min) = def.get("minLength").and_then(Value::as_u64) {
                    if n < min {
                        return Err(format!("The field is too short (minimum {min} characters)"));
                    }
                }
                if let Some(pattern) = def.get("pattern").and_then(Value::as_str) {
                    if !full_match(pattern, text) {
                        return Err("Does not match required pattern".into());
                    }
                }
            }
            Ok(())
        }
    }
}

fn scalar_fits(kind: &str, value: &Value) -> bool {
    match kind {
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    }
}

/// `enum` (a list of allowed values) and `oneOf` (`[{const, title}]`).
fn check_enum(def: &Value, value: &Value) -> Result<(), String> {
    if let Some(allowed) = def.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            return Err("Does not match required enum value".into());
        }
    }
    if let Some(one_of) = def.get("oneOf").and_then(Value::as_array) {
        if !one_of.iter().any(|o| o.get("const") == Some(value)) {
            return Err("Does not match required enum value".into());
        }
    }
    Ok(())
}

fn compile(pattern: &str) -> Option<regex::Regex> {
    if pattern.len() > MAX_PATTERN {
        return None;
    }
    regex::RegexBuilder::new(&format!("^(?:{pattern})$")).size_limit(1 << 20).build().ok()
}

fn full_match(pattern: &str, text: &str) -> bool {
    compile(pattern).is_some_and(|re| re.is_match(text))
}

/// Checks an attribute definition an admin sends; returns it as stored.
pub fn check_definition(name: &str, def: &Value) -> Result<Value, OktaError> {
    let bad = |why: &str| OktaError::validation(name.to_string(), format!("{name}: {why}"));
    let obj = def.as_object().ok_or_else(|| bad("Does not match required type: object"))?;
    let valid_name = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 100;
    if !valid_name {
        return Err(bad("The attribute name is not valid"));
    }
    let title = obj.get("title").and_then(Value::as_str).map(str::trim).unwrap_or("");
    if title.is_empty() {
        return Err(OktaError::validation(name.to_string(), format!("{name}.title: The field cannot be left blank")));
    }
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or("");
    if !ATTRIBUTE_TYPES.contains(&kind) {
        return Err(OktaError::validation(
            name.to_string(),
            format!("{name}.type: Does not match required enum value"),
        ));
    }
    if let Some(p) = obj.get("pattern").filter(|p| !p.is_null()) {
        let ok = p.as_str().is_some_and(|p| compile(p).is_some());
        if !ok || kind != "string" {
            return Err(bad("The pattern is not valid"));
        }
    }
    // `enum` and `oneOf` values must be values of the attribute's own type.
    let value_kind = if kind == "array" {
        obj.get("items").and_then(|i| i.get("type")).and_then(Value::as_str).unwrap_or("string")
    } else {
        kind
    };
    if let Some(e) = obj.get("enum").filter(|e| !e.is_null()) {
        let fits = e.as_array().is_some_and(|a| a.iter().all(|v| scalar_fits(value_kind, v)));
        if !fits {
            return Err(bad(&format!("enum: Does not match required type: array of {value_kind}")));
        }
    }
    if let Some(o) = obj.get("oneOf").filter(|o| !o.is_null()) {
        let fits = o.as_array().is_some_and(|a| {
            a.iter().all(|c| c.get("const").is_some_and(|v| scalar_fits(value_kind, v)) && c.get("title").is_some())
        });
        if !fits {
            return Err(bad("oneOf: Each choice needs a const of the attribute's type and a title"));
        }
    }
    if let Some(u) = obj.get("unique").filter(|u| !u.is_null()) {
        if !matches!(u.as_str(), Some("UNIQUE_VALIDATED" | "NOT_UNIQUE")) {
            return Err(bad("unique: Does not match required enum value"));
        }
    }
    for key in ["minLength", "maxLength"] {
        if let Some(v) = obj.get(key).filter(|v| !v.is_null()) {
            if v.as_u64().is_none() {
                return Err(bad(&format!("{key}: Does not match required type: integer")));
            }
        }
    }
    let mut stored = obj.clone();
    stored.entry("mutability").or_insert_with(|| Value::from("READ_WRITE"));
    stored.entry("scope").or_insert_with(|| Value::from("NONE"));
    stored.entry("required").or_insert(Value::Bool(false));
    stored.entry("permissions").or_insert_with(|| serde_json::json!([{"principal": "SELF", "action": "READ_WRITE"}]));
    stored.entry("master").or_insert_with(|| serde_json::json!({"type": "PROFILE_MASTER"}));
    // Okta leaves `unique` off an attribute that is not unique.
    if stored.get("unique").and_then(Value::as_str) == Some("NOT_UNIQUE") {
        stored.remove("unique");
    }
    Ok(Value::Object(stored))
}

/// A base attribute: name, title, required, (min, max) length.
pub type BaseAttribute = (&'static str, &'static str, bool, Option<(u64, u64)>);

/// The user schema's base attributes (all strings).
pub const USER_BASE: &[BaseAttribute] = &[
    ("login", "Username", true, Some((5, 100))),
    ("firstName", "First name", true, Some((1, 50))),
    ("lastName", "Last name", true, Some((1, 50))),
    ("middleName", "Middle name", false, None),
    ("honorificPrefix", "Honorific prefix", false, None),
    ("honorificSuffix", "Honorific suffix", false, None),
    ("email", "Primary email", true, Some((5, 100))),
    ("title", "Title", false, None),
    ("displayName", "Display name", false, None),
    ("nickName", "Nickname", false, None),
    ("profileUrl", "Profile Url", false, None),
    ("secondEmail", "Secondary email", false, Some((5, 100))),
    ("mobilePhone", "Mobile phone", false, Some((0, 100))),
    ("primaryPhone", "Primary phone", false, Some((0, 100))),
    ("streetAddress", "Street address", false, None),
    ("city", "City", false, None),
    ("state", "State", false, None),
    ("zipCode", "Zip code", false, None),
    ("countryCode", "Country code", false, None),
    ("postalAddress", "Postal Address", false, None),
    ("preferredLanguage", "Preferred language", false, None),
    ("locale", "Locale", false, None),
    ("timezone", "Time zone", false, None),
    ("userType", "User type", false, None),
    ("employeeNumber", "Employee number", false, None),
    ("costCenter", "Cost center", false, None),
    ("organization", "Organization", false, None),
    ("division", "Division", false, None),
    ("department", "Department", false, None),
    ("managerId", "ManagerId", false, None),
    ("manager", "Manager", false, None),
];

/// Is `name` one of the user schema's base attributes?
pub fn is_user_base(name: &str) -> bool {
    USER_BASE.iter().any(|(n, ..)| *n == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defs(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn custom_attributes_are_enforced() {
        let custom = defs(json!({
            "age": {"type": "integer", "title": "Age"},
            "tier": {"type": "string", "title": "Tier", "enum": ["gold", "silver"], "required": true},
            "code": {"type": "string", "title": "Code", "pattern": "[A-Z]{3}", "maxLength": 3},
            "tags": {"type": "array", "title": "Tags", "items": {"type": "string"}},
            "badge": {"type": "string", "title": "Badge", "unique": "UNIQUE_VALIDATED"},
        }));
        let other = defs(json!({"badge": "B-1"}));
        let ok = defs(json!({"age": 30, "tier": "gold", "code": "ABC", "tags": ["a"], "badge": "B-2"}));
        assert!(check_profile(&custom, &ok, || vec![&other]).is_ok());
        let bad = defs(json!({"age": "thirty", "code": "abc", "tags": "a", "badge": "b-1"}));
        match check_profile(&custom, &bad, || vec![&other]).unwrap_err() {
            OktaError::Validation { causes, .. } => {
                let all = causes.join("|");
                assert!(all.contains("age: Does not match required type: integer"), "{all}");
                assert!(all.contains("tier: The field cannot be left blank"), "{all}");
                assert!(all.contains("code: Does not match required pattern"), "{all}");
                assert!(all.contains("tags: Does not match required type: array"), "{all}");
                assert!(all.contains("badge: An object with this field already exists"), "{all}");
            }
            other => panic!("{other:?}"),
        }
        let wrong_enum = defs(json!({"tier": "bronze"}));
        assert!(check_profile(&custom, &wrong_enum, Vec::new).is_err());
    }

    #[test]
    fn definitions_are_checked() {
        assert!(check_definition("age", &json!({"type": "integer", "title": "Age"})).is_ok());
        assert!(check_definition("age", &json!({"type": "date", "title": "Age"})).is_err());
        assert!(check_definition("age", &json!({"type": "string"})).is_err());
        assert!(check_definition("1x", &json!({"type": "string", "title": "X"})).is_err());
        assert!(check_definition("x", &json!({"type": "string", "title": "X", "pattern": "("})).is_err());
        assert!(check_definition("x", &json!({"type": "string", "title": "X", "enum": [{"0": "S"}]})).is_err());
        assert!(check_definition("x", &json!({"type": "integer", "title": "X", "enum": [1, 2]})).is_ok());
    }
}
