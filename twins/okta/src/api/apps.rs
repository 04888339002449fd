//! `/api/v1/apps`: BOOKMARK, BASIC_AUTH and OPENID_CONNECT applications, their
//! lifecycle, user and group assignments, and a user's app links.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use twin_core::ids::IdGen;

use super::routes::{route, Cov, Route};
use super::{render, Call};
use crate::errors::OktaError;
use crate::ids::{alnum, okta_id};
use crate::model::{pair_key, App, AppGroup, AppStatus, AppUser, Event, OktaState, Target, UserStatus};
use crate::wire::search::{self, Rules};
use crate::wire::{self, body_object, link_headers, paginate, ts, Order};

pub const ROUTES: &[Route] = &[
    route(
        "GET",
        "/api/v1/apps",
        "okta.apps.list",
        Cov::Partial("filter on id, status, name, user.id and group.id only"),
    ),
    route(
        "POST",
        "/api/v1/apps",
        "okta.apps.create",
        Cov::Partial("BOOKMARK, BASIC_AUTH, BROWSER_PLUGIN (SWA), SECURE_PASSWORD_STORE, OPENID_CONNECT, SAML_2_0 and AUTO_LOGIN; not SAML 1.1 or WS-Federation, no SAML metadata"),
    ),
    route("GET", "/api/v1/apps/{appId}", "okta.apps.get", Cov::Implemented),
    route(
        "PUT",
        "/api/v1/apps/{appId}",
        "okta.apps.replace",
        Cov::Partial("BOOKMARK, BASIC_AUTH, BROWSER_PLUGIN (SWA), SECURE_PASSWORD_STORE, OPENID_CONNECT, SAML_2_0 and AUTO_LOGIN; not SAML 1.1 or WS-Federation, no SAML metadata"),
    ),
    route("DELETE", "/api/v1/apps/{appId}", "okta.apps.delete", Cov::Implemented),
    route("POST", "/api/v1/apps/{appId}/lifecycle/activate", "okta.apps.activate", Cov::Implemented),
    route("POST", "/api/v1/apps/{appId}/lifecycle/deactivate", "okta.apps.deactivate", Cov::Implemented),
    route("GET", "/api/v1/apps/{appId}/users", "okta.apps.list_users", Cov::Implemented),
    route("POST", "/api/v1/apps/{appId}/users", "okta.apps.assign_user", Cov::Implemented),
    route("GET", "/api/v1/apps/{appId}/users/{userId}", "okta.apps.get_user", Cov::Implemented),
    route("POST", "/api/v1/apps/{appId}/users/{userId}", "okta.apps.update_user", Cov::Implemented),
    route("DELETE", "/api/v1/apps/{appId}/users/{userId}", "okta.apps.unassign_user", Cov::Implemented),
    route("GET", "/api/v1/apps/{appId}/groups", "okta.apps.list_groups", Cov::Implemented),
    route("GET", "/api/v1/apps/{appId}/groups/{groupId}", "okta.apps.get_group", Cov::Implemented),
    route("PUT", "/api/v1/apps/{appId}/groups/{groupId}", "okta.apps.assign_group", Cov::Implemented),
    route("DELETE", "/api/v1/apps/{appId}/groups/{groupId}", "okta.apps.unassign_group", Cov::Implemented),
    route("GET", "/api/v1/users/{userId}/appLinks", "okta.users.list_app_links", Cov::Implemented),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/apps", get(list).post(create))
        .route("/api/v1/apps/{appId}", get(get_app).put(replace).delete(delete_app))
        .route("/api/v1/apps/{appId}/lifecycle/{op}", post(lifecycle))
        .route("/api/v1/apps/{appId}/users", get(list_users).post(assign_user))
        .route("/api/v1/apps/{appId}/users/{userId}", get(get_user).post(update_user).delete(unassign_user))
        .route("/api/v1/apps/{appId}/groups", get(list_groups))
        .route("/api/v1/apps/{appId}/groups/{groupId}", get(get_group).put(assign_group).delete(unassign_group))
        .route("/api/v1/users/{userId}/appLinks", get(app_links))
}

/// What the fixture says about an app.
#[derive(Debug, Clone, Default)]
pub struct AppInput {
    pub label: String,
    pub sign_on_mode: String,
    pub url: Option<String>,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
}

const GRANT_TYPES: [&str; 6] =
    ["authorization_code", "client_credentials", "implicit", "interaction_code", "password", "refresh_token"];
const AUTH_METHODS: [&str; 5] =
    ["client_secret_basic", "client_secret_jwt", "client_secret_post", "none", "private_key_jwt"];

fn template_name(mode: &str) -> Option<&'static str> {
    match mode {
        "BOOKMARK" => Some("bookmark"),
        "BASIC_AUTH" => Some("template_basic_auth"),
        "BROWSER_PLUGIN" => Some("template_swa"),
        "SECURE_PASSWORD_STORE" => Some("template_sps"),
        "OPENID_CONNECT" => Some("oidc_client"),
        _ => None,
    }
}

/// The sign-on mode Okta infers from a template app's `name` when the body gives none.
fn mode_of_template(name: &str) -> Option<&'static str> {
    ["BOOKMARK", "BASIC_AUTH", "BROWSER_PLUGIN", "SECURE_PASSWORD_STORE", "OPENID_CONNECT"]
        .into_iter()
        .find(|mode| template_name(mode) == Some(name))
}

/// The modes this twin serves, for its refusals.
const SERVED_MODES: &str =
    "BOOKMARK, BASIC_AUTH, BROWSER_PLUGIN, SECURE_PASSWORD_STORE, OPENID_CONNECT, SAML_2_0, AUTO_LOGIN";

/// Modes of custom apps (no catalog template): Okta names each instance itself.
/// The name of an app's sign-in link (`visibility.appLinks`, `_links.appLinks`), as
/// Okta's recorded apps have it: `login` for a template app, `oidc_client_link` for
/// an OpenID Connect client, `{name}_link` for a custom app.
fn link_name(app_name: &str) -> String {
    match app_name {
        "bookmark" | "template_basic_auth" | "template_swa" | "template_sps" => "login".to_string(),
        other => format!("{other}_link"),
    }
}

fn is_custom_mode(mode: &str) -> bool {
    matches!(mode, "SAML_2_0" | "AUTO_LOGIN")
}

/// The name Okta gives a custom app: its label as a variable name, then `_1`.
fn custom_app_name(label: &str) -> String {
    let mut stem: String =
        label.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    stem.truncate(50);
    if stem.is_empty() || stem.starts_with(|c: char| c.is_ascii_digit()) {
        stem.insert_str(0, "app");
    }
    format!("{stem}_1")
}

/// Refuses a body that made one of `keys` of `value` anything but an object or null
/// (400 E0000001), as a wrong type elsewhere in an app is refused.
fn nested_objects(value: &Value, root: &str, keys: &[&str]) -> Result<(), OktaError> {
    for key in keys {
        if value.get(*key).is_some_and(|v| !v.is_object() && !v.is_null()) {
            return Err(OktaError::validation(
                format!("{root}.{key}"),
                format!("{root}.{key}: Does not match required type: object"),
            ));
        }
    }
    Ok(())
}

/// The VPN notification every app carries (off unless an admin sets it), as Okta's
/// recorded answers show it: no zone lists while the connection is DISABLED.
fn vpn_notifications() -> Value {
    json!({"vpn": {"network": {"connection": "DISABLED"}, "message": null, "helpUrl": null}})
}

/// A SAML 2.0 app's sign-on settings as Okta fills them in for a custom app.
fn saml_sign_on(acs: &str, audience: &str) -> Value {
    json!({
        "defaultRelayState": "",
        "ssoAcsUrl": acs,
        "idpIssuer": "http://www.okta.com/${org.externalKey}",
        "audience": audience,
        "recipient": acs,
        "destination": acs,
        "subjectNameIdTemplate": "${user.userName}",
        "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        "responseSigned": true,
        "assertionSigned": true,
        "signatureAlgorithm": "RSA_SHA256",
        "digestAlgorithm": "SHA256",
        "honorForceAuthn": true,
        "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
        "requestCompressed": false,
        "allowMultipleAcsEndpoints": false,
        "acsEndpoints": [],
        "samlAssertionLifetimeSeconds": 3600,
        "attributeStatements": [],
        "inlineHooks": []
    })
}

/// Deep-merges `patch` into `base` (objects merge, everything else replaces).
fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p.clone(),
    }
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

/// The settings and credentials an app of `mode` starts with.
fn defaults(mode: &str, url: &str, ids: &mut IdGen, id: &str) -> (Value, Value) {
    let user_name_template = json!({"template": "${source.login}", "type": "BUILT_IN"});
    let notes = json!({"admin": null, "enduser": null});
    match mode {
        "BOOKMARK" => (
            json!({"app": {"requestIntegration": false, "url": url}, "notes": notes}),
            json!({"userNameTemplate": user_name_template, "signing": {}}),
        ),
        "BASIC_AUTH" => (
            json!({"app": {"url": url, "authURL": url}, "notes": notes}),
            json!({"scheme": "EDIT_USERNAME_AND_PASSWORD", "userNameTemplate": user_name_template,
                   "revealPassword": false, "signing": {}}),
        ),
        "BROWSER_PLUGIN" => (
            json!({"app": {"buttonField": "", "passwordField": "", "usernameField": "", "url": url,
                           "loginUrlRegex": null}, "notes": notes}),
            json!({"scheme": "EDIT_USERNAME_AND_PASSWORD", "userNameTemplate": user_name_template,
                   "revealPassword": false, "signing": {}}),
        ),
        "SECURE_PASSWORD_STORE" => (
            json!({"app": {"url": url, "passwordField": "", "usernameField": "",
                           "optionalField1": null, "optionalField1Value": null,
                           "optionalField2": null, "optionalField2Value": null,
                           "optionalField3": null, "optionalField3Value": null}, "notes": notes}),
            json!({"scheme": "EDIT_USERNAME_AND_PASSWORD", "userNameTemplate": user_name_template,
                   "revealPassword": false, "signing": {}}),
        ),
        "SAML_2_0" => (
            json!({"app": {}, "notes": notes, "signOn": saml_sign_on("", "")}),
            json!({"userNameTemplate": user_name_template, "signing": {"kid": crate::keys::current_kid()}}),
        ),
        "AUTO_LOGIN" => (
            json!({"app": {}, "notes": notes, "signOn": {"loginUrl": url}}),
            json!({"scheme": "EDIT_USERNAME_AND_PASSWORD", "userNameTemplate": user_name_template,
                   "revealPassword": false, "signing": {}}),
        ),
        _ => {
            let callback = format!("{}/authorization-code/callback", url.trim_end_matches('/'));
            (
                json!({
                    "app": {},
                    "notes": notes,
                    "oauthClient": {
                        "client_uri": url,
                        "logo_uri": null,
                        "redirect_uris": [callback],
                        "post_logout_redirect_uris": [url],
                        "response_types": ["code"],
                        "grant_types": ["authorization_code", "refresh_token", "client_credentials", "password"],
                        "application_type": "web",
                        "consent_method": "TRUSTED",
                        "issuer_mode": "DYNAMIC",
                        "initiate_login_uri": url,
                        "wildcard_redirect": "DISABLED"
                    }
                }),
                json!({
                    "userNameTemplate": user_name_template,
                    "signing": {"kid": crate::keys::current_kid()},
                    "oauthClient": {
                        "autoKeyRotation": true,
                        "client_id": id,
                        "client_secret": alnum(ids, 40),
                        "token_endpoint_auth_method": "client_secret_basic",
                        "pkce_required": false
                    }
                }),
            )
        }
    }
}

/// Checks what each sign-on mode requires (the SDK models refuse apps without it).
fn validate(app: &App) -> Result<(), OktaError> {
    if app.label.trim().is_empty() {
        return Err(OktaError::validation("label", "label: The field cannot be left blank"));
    }
    let url = |p: &str| app.settings.pointer(p).and_then(Value::as_str).filter(|s| !s.trim().is_empty());
    match app.sign_on_mode.as_str() {
        "BOOKMARK" => {
            url("/app/url").ok_or_else(|| OktaError::validation("url", "url: The field cannot be left blank"))?;
        }
        "BASIC_AUTH" => {
            url("/app/url").ok_or_else(|| OktaError::validation("url", "url: The field cannot be left blank"))?;
            url("/app/authURL")
                .ok_or_else(|| OktaError::validation("authURL", "authURL: The field cannot be left blank"))?;
        }
        "BROWSER_PLUGIN" | "SECURE_PASSWORD_STORE" => {
            let mut required = vec!["url", "usernameField", "passwordField"];
            if app.sign_on_mode == "BROWSER_PLUGIN" {
                required.push("buttonField");
            }
            for field in required {
                url(&format!("/app/{field}"))
                    .ok_or_else(|| OktaError::validation(field, format!("{field}: The field cannot be left blank")))?;
            }
        }
        "OPENID_CONNECT" => {
            let grants = app.grant_types();
            if grants.is_empty() {
                return Err(OktaError::validation("grant_types", "grant_types: The field cannot be left blank"));
            }
            if let Some(bad) = grants.iter().find(|g| !GRANT_TYPES.contains(&g.as_str())) {
                return Err(OktaError::validation(
                    "grant_types",
                    format!("grant_types: '{bad}' is not a valid grant type"),
                ));
            }
            let needs_redirect = grants.iter().any(|g| g == "authorization_code" || g == "implicit");
            if needs_redirect && app.redirect_uris().is_empty() {
                return Err(OktaError::validation(
                    "redirect_uris",
                    "redirect_uris: Must specify at least one redirect_uri for the authorization_code and implicit grant types",
                ));
            }
            if !AUTH_METHODS.contains(&app.token_auth_method()) {
                return Err(OktaError::validation(
                    "token_endpoint_auth_method",
                    "token_endpoint_auth_method: Not a valid value",
                ));
            }
            if app.token_auth_method() == "private_key_jwt"
                && app.settings.pointer("/oauthClient/jwks/keys").and_then(Value::as_array).is_none_or(Vec::is_empty)
                && app.settings.pointer("/oauthClient/jwks_uri").is_none()
            {
                return Err(OktaError::validation("jwks", "jwks: A public key is required for private_key_jwt"));
            }
        }
        "SAML_2_0" => {
            for field in ["ssoAcsUrl", "audience"] {
                let value = url(&format!("/signOn/{field}"))
                    .ok_or_else(|| OktaError::validation(field, format!("{field}: The field cannot be left blank")))?;
                if field == "ssoAcsUrl" && !value.starts_with("https://") && !value.starts_with("http://") {
                    return Err(OktaError::validation(field, format!("{field}: Must be a valid URL")));
                }
            }
            let format = url("/signOn/subjectNameIdFormat").unwrap_or("");
            if !format.starts_with("urn:oasis:names:tc:SAML:") {
                return Err(OktaError::validation(
                    "subjectNameIdFormat",
                    "subjectNameIdFormat: Does not match required enum value",
                ));
            }
            for (field, allowed) in
                [("signatureAlgorithm", ["RSA_SHA256", "RSA_SHA1"]), ("digestAlgorithm", ["SHA256", "SHA1"])]
            {
                let value = url(&format!("/signOn/{field}")).unwrap_or("");
                if !allowed.contains(&value) {
                    return Err(OktaError::validation(field, format!("{field}: Does not match required enum value")));
                }
            }
        }
        "AUTO_LOGIN" => {
            let login = url("/signOn/loginUrl")
                .ok_or_else(|| OktaError::validation("loginUrl", "loginUrl: The field cannot be left blank"))?;
            if !login.starts_with("https://") && !login.starts_with("http://") {
                return Err(OktaError::validation("loginUrl", "loginUrl: Must be a valid URL"));
            }
        }
        other => {
            return Err(OktaError::validation(
                "signOnMode",
                format!("signOnMode: '{other}' is not supported by this twin ({SERVED_MODES})"),
            ))
        }
    }
    Ok(())
}

/// An app from the fixture's short form.
pub fn build_app(input: &AppInput, ids: &mut IdGen, now: DateTime<Utc>) -> Result<App, OktaError> {
    let mode = input.sign_on_mode.to_ascii_uppercase();
    let name = template_name(&mode).ok_or_else(|| {
        OktaError::validation(
            "signOnMode",
            format!("signOnMode: '{mode}' is not one of BOOKMARK, BASIC_AUTH, OPENID_CONNECT"),
        )
    })?;
    let url = input.url.clone().unwrap_or_default();
    let id = okta_id(ids, "0oa");
    let (mut settings, credentials) = defaults(&mode, &url, ids, &id);
    settings["notifications"] = vpn_notifications();
    if mode == "OPENID_CONNECT" {
        if !input.redirect_uris.is_empty() {
            settings["oauthClient"]["redirect_uris"] = json!(input.redirect_uris);
        }
        if !input.grant_types.is_empty() {
            settings["oauthClient"]["grant_types"] = json!(input.grant_types);
        }
    }
    let app = App {
        id,
        name: name.to_string(),
        label: input.label.clone(),
        status: AppStatus::Active,
        sign_on_mode: mode,
        created: now,
        last_updated: now,
        accessibility: json!({"selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null}),
        visibility: json!({"autoSubmitToolbar": false, "hide": {"iOS": false, "web": false}, "appLinks": {link_name(name): true}}),
        features: vec![],
        settings,
        credentials,
        profile: None,
    };
    validate(&app)?;
    Ok(app)
}

/// An app from an API body (create or full replace of `existing`).
fn app_from_body(
    body: &Map<String, Value>,
    existing: Option<&App>,
    ids: &mut IdGen,
    now: DateTime<Utc>,
) -> Result<App, OktaError> {
    let mode = body
        .get("signOnMode")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| existing.map(|a| a.sign_on_mode.clone()))
        .or_else(|| body.get("name").and_then(Value::as_str).and_then(mode_of_template).map(str::to_string))
        .ok_or_else(|| OktaError::validation("signOnMode", "signOnMode: The field cannot be left blank"))?;
    if let Some(e) = existing {
        if e.sign_on_mode != mode {
            return Err(OktaError::validation(
                "signOnMode",
                "signOnMode: The sign-on mode of an app cannot be changed",
            ));
        }
    }
    let label_given = body.get("label").and_then(Value::as_str).unwrap_or("");
    let name = match template_name(&mode) {
        Some(n) => n.to_string(),
        None if is_custom_mode(&mode) => existing
            .map(|e| e.name.clone())
            .or_else(|| body.get("name").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| custom_app_name(label_given)),
        None => {
            return Err(OktaError::validation(
                "signOnMode",
                format!("signOnMode: '{mode}' is not supported by this twin ({SERVED_MODES})"),
            ))
        }
    };
    if let Some(given) = body.get("name").and_then(Value::as_str).filter(|_| !is_custom_mode(&mode)) {
        if given != name {
            return Err(OktaError::validation(
                "name",
                format!("name: '{given}' is not the app name of a {mode} app ('{name}')"),
            ));
        }
    }
    let id = existing.map_or_else(|| okta_id(ids, "0oa"), |e| e.id.clone());
    let (mut settings, mut credentials) = match existing {
        Some(e) => (e.settings.clone(), e.credentials.clone()),
        None => {
            let url = body.get("settings").and_then(|s| s.pointer("/app/url")).and_then(Value::as_str).unwrap_or("");
            let url = if mode == "AUTO_LOGIN" { "" } else { url };
            let (mut s, c) = defaults(&mode, url, ids, &id);
            if mode == "OPENID_CONNECT" {
                // An API-created client starts with only what the body asks for.
                s["oauthClient"]["redirect_uris"] = json!([]);
                s["oauthClient"]["grant_types"] = json!([]);
                s["oauthClient"]["post_logout_redirect_uris"] = json!([]);
            }
            (s, c)
        }
    };
    if let Some(patch) = body.get("settings") {
        if !patch.is_object() {
            return Err(OktaError::validation("settings", "settings: Does not match required type: object"));
        }
        merge(&mut settings, patch);
    }
    if let Some(patch) = body.get("credentials") {
        if !patch.is_object() {
            return Err(OktaError::validation("credentials", "credentials: Does not match required type: object"));
        }
        merge(&mut credentials, patch);
    }
    // The objects the twin fills in below must stay objects (or null).
    nested_objects(&settings, "settings", &["app", "oauthClient", "signOn", "notifications", "notes"])?;
    nested_objects(&credentials, "credentials", &["oauthClient", "userNameTemplate", "signing", "password"])?;
    if mode == "OPENID_CONNECT" {
        // The client id is the app id unless the body chose one; secrets only for secret methods.
        let client_id =
            credentials.pointer("/oauthClient/client_id").and_then(Value::as_str).unwrap_or(&id).to_string();
        credentials["oauthClient"]["client_id"] = json!(client_id);
        let method = credentials
            .pointer("/oauthClient/token_endpoint_auth_method")
            .and_then(Value::as_str)
            .unwrap_or("client_secret_basic")
            .to_string();
        credentials["oauthClient"]["token_endpoint_auth_method"] = json!(method);
        let has_secret = credentials.pointer("/oauthClient/client_secret").and_then(Value::as_str).is_some();
        if method.starts_with("client_secret") && !has_secret {
            credentials["oauthClient"]["client_secret"] = json!(alnum(ids, 40));
        }
        if method == "none" || method == "private_key_jwt" {
            if let Some(c) = credentials.get_mut("oauthClient").and_then(Value::as_object_mut) {
                c.remove("client_secret");
            }
        }
        if settings.pointer("/oauthClient/response_types").is_none() {
            settings["oauthClient"]["response_types"] = json!(["code"]);
        }
        if settings.pointer("/oauthClient/application_type").is_none() {
            settings["oauthClient"]["application_type"] = json!("web");
        }
    }
    let features = str_list(body.get("features"));
    let label = body
        .get("label")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| existing.map(|e| e.label.clone()))
        .unwrap_or_default();
    let mut visibility = existing.map_or_else(
        || json!({"autoSubmitToolbar": false, "hide": {"iOS": false, "web": false}, "appLinks": {link_name(&name): true}}),
        |e| e.visibility.clone(),
    );
    if let Some(v) = body.get("visibility").filter(|v| v.is_object()) {
        merge(&mut visibility, v);
    }
    let mut accessibility = existing.map_or_else(
        || json!({"selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null}),
        |e| e.accessibility.clone(),
    );
    if let Some(v) = body.get("accessibility").filter(|v| v.is_object()) {
        merge(&mut accessibility, v);
    }
    if settings.get("notifications").is_none() {
        settings["notifications"] = vpn_notifications();
    }
    if mode == "SAML_2_0" {
        // Recipient and destination follow the ACS URL unless the body set them.
        let acs = settings.pointer("/signOn/ssoAcsUrl").cloned().unwrap_or(Value::Null);
        for field in ["recipient", "destination"] {
            let unset = settings.pointer(&format!("/signOn/{field}")).and_then(Value::as_str).is_none_or(str::is_empty);
            if unset {
                settings["signOn"][field] = acs.clone();
            }
        }
    }
    let app = App {
        id,
        name: name.to_string(),
        label,
        status: existing.map_or(AppStatus::Active, |e| e.status),
        sign_on_mode: mode,
        created: existing.map_or(now, |e| e.created),
        last_updated: now,
        accessibility,
        visibility,
        features,
        settings,
        credentials,
        profile: body
            .get("profile")
            .filter(|p| p.is_object())
            .cloned()
            .or_else(|| existing.and_then(|e| e.profile.clone())),
    };
    validate(&app)?;
    Ok(app)
}

/// The ids of the org's default ACCESS_POLICY and PROFILE_ENROLLMENT policies,
/// which every app's `accessPolicy` and `profileEnrollment` links name (the twin
/// has no per-app policy assignment, so every app is under the defaults).
#[derive(Debug, Clone, Default)]
pub struct AppPolicies {
    access: Option<String>,
    enrollment: Option<String>,
    /// `(appId, policy type)` → the policy an app is mapped to instead of the default.
    mapped: std::collections::HashMap<(String, String), String>,
}

impl AppPolicies {
    pub fn of(s: &OktaState) -> Self {
        let default_of = |kind: &str| s.policies.values().find(|p| p.system && p.kind == kind).map(|p| p.id.clone());
        let mapped = s
            .policy_mappings
            .values()
            .filter_map(|m| s.policies.get(&m.policy_id).map(|p| ((m.app_id.clone(), p.kind.clone()), p.id.clone())))
            .collect();
        Self { access: default_of("ACCESS_POLICY"), enrollment: default_of("PROFILE_ENROLLMENT"), mapped }
    }

    fn of_app(&self, app_id: &str, kind: &str) -> Option<&String> {
        self.mapped.get(&(app_id.to_string(), kind.to_string())).or(match kind {
            "ACCESS_POLICY" => self.access.as_ref(),
            _ => self.enrollment.as_ref(),
        })
    }
}

/// An app as the Apps API returns it.
pub fn render(a: &App, base: &str, policies: &AppPolicies) -> Value {
    let me = format!("{base}/api/v1/apps/{}", a.id);
    let lifecycle = if a.status == AppStatus::Active { "deactivate" } else { "activate" };
    let mut links = json!({
        "appLinks": [{"name": link_name(&a.name), "href": format!("{base}/home/{}/{}/aln{}", a.name, a.id, a.id.get(3..).unwrap_or_default()), "type": "text/html"}],
        "groups": {"href": format!("{me}/groups")},
        "logo": [{"name": "medium", "href": format!("{base}/assets/img/logos/default.png"), "type": "image/png"}],
        "users": {"href": format!("{me}/users")},
        "self": {"href": me.clone()},
    });
    links[lifecycle] = json!({"href": format!("{me}/lifecycle/{lifecycle}")});
    links["uploadLogo"] = json!({"href": format!("{me}/logo"), "hints": {"allow": ["POST"]}});
    links["policies"] = json!({"href": format!("{me}/policies"), "hints": {"allow": ["PUT"]}});
    if let Some(id) = policies.of_app(&a.id, "ACCESS_POLICY") {
        links["accessPolicy"] = json!({"href": format!("{base}/api/v1/policies/{id}")});
    }
    if let Some(id) = policies.of_app(&a.id, "PROFILE_ENROLLMENT") {
        links["profileEnrollment"] = json!({"href": format!("{base}/api/v1/policies/{id}")});
    }
    let mut out = json!({
        "id": a.id,
        "name": a.name,
        "label": a.label,
        "status": a.status.as_str(),
        "lastUpdated": ts(a.last_updated),
        "created": ts(a.created),
        "accessibility": a.accessibility,
        "visibility": a.visibility,
        "features": a.features,
        "signOnMode": a.sign_on_mode,
        "credentials": a.credentials,
        "settings": a.settings,
        "_links": links,
    });
    // Okta answers `autoLaunch` on every app's visibility (false unless set).
    if let Some(v) = out["visibility"].as_object_mut() {
        v.entry("autoLaunch").or_insert(json!(false));
    }
    if let Some(p) = &a.profile {
        out["profile"] = p.clone();
    }
    out
}

fn app_doc(a: &App) -> Value {
    json!({"id": a.id, "name": a.name, "label": a.label, "status": a.status.as_str(), "signOnMode": a.sign_on_mode,
           "lastUpdated": ts(a.last_updated), "created": ts(a.created),
           "credentials": {"signing": {"kid": a.credentials.pointer("/signing/kid")}}})
}

const FILTER_RULES: Rules<'static> = Rules {
    attributes: Some(&["id", "status", "name", "signOnMode", "user.id", "group.id", "credentials.signing.kid"]),
    range_attributes: &[],
    eq_only: true,
    contains_attributes: None,
    case_insensitive: false,
};

async fn list(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.read")?;
    // `user/{userId}` (the app as that user has it) is the one value Okta knows.
    call.query.expand(|e| e.starts_with("user/"))?;
    let q = &call.query;
    let expr = q.text("filter").map(|f| search::compile(f, &FILTER_RULES).map_err(OktaError::search)).transpose()?;
    let keyword = q.text("q").map(str::to_lowercase);
    let limit = q.limit(200, 200)?;
    let after = q.after()?;
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        let keyed: Vec<(String, &App)> = s
            .apps
            .values()
            .filter(|a| match &expr {
                None => true,
                Some(e) => {
                    let mut doc = app_doc(a);
                    // `user.id eq` / `group.id eq` match the app's assignments.
                    let users: Vec<Value> = s.app_user_ids(&a.id).into_iter().map(|(u, _)| json!({"id": u})).collect();
                    let groups: Vec<Value> =
                        s.app_groups.values().filter(|g| g.app_id == a.id).map(|g| json!({"id": g.group_id})).collect();
                    doc["user"] = Value::Array(users);
                    doc["group"] = Value::Array(groups);
                    search::matches(e, &doc, false)
                }
            })
            .filter(|a| {
                keyword
                    .as_ref()
                    .is_none_or(|k| a.label.to_lowercase().starts_with(k.as_str()) || a.name.starts_with(k.as_str()))
            })
            .map(|a| (a.id.clone(), a))
            .collect();
        let (page, next) = paginate(keyed, after, limit, Order::KeyAscending)?;
        let policies = AppPolicies::of(s);
        Ok((page.into_iter().map(|a| render(a, &base, &policies)).collect::<Vec<_>>(), next))
    })??;
    Ok(wire::page(items, link_headers(&base, "/api/v1/apps", &call.query, next.as_deref())))
}

async fn create(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.manage")?;
    let body = body_object(&call.body)?;
    let activate = call.query.bool("activate", true)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let mut app = app_from_body(&body, None, ids, now)?;
        if let Some(cid) = app.client_id() {
            if s.app_by_client_id(cid).is_some() {
                return Err(OktaError::validation("client_id", "client_id: An object with this field already exists"));
            }
        }
        if !activate {
            app.status = AppStatus::Inactive;
        }
        s.apps.insert(app.id.clone(), app.clone());
        caller.log(s, ids, now, Event::new("application.lifecycle.create", "Add application", vec![Target::app(&app)]));
        if activate {
            caller.log(
                s,
                ids,
                now,
                Event::new("application.lifecycle.activate", "Activate application", vec![Target::app(&app)]),
            );
        }
        Ok(render(&app, &base, &AppPolicies::of(s)))
    })?;
    Ok(wire::ok(&out))
}

async fn get_app(Path(app_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.read")?;
    // `user/{userId}` (the app as that user has it) is the one value Okta knows.
    call.query.expand(|e| e.starts_with("user/"))?;
    let base = call.base().to_string();
    let out = call.read(|s| s.app(&app_id).map(|a| render(a, &base, &AppPolicies::of(s))))??;
    Ok(wire::ok(&out))
}

async fn replace(Path(app_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.manage")?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let existing = s.app(&app_id)?.clone();
        let app = app_from_body(&body, Some(&existing), ids, now)?;
        if let Some(cid) = app.client_id() {
            if s.apps.values().any(|a| a.id != app.id && a.client_id() == Some(cid)) {
                return Err(OktaError::validation("client_id", "client_id: An object with this field already exists"));
            }
        }
        s.apps.insert(app.id.clone(), app.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new("application.lifecycle.update", "Update application", vec![Target::app(&app)]),
        );
        Ok(render(&app, &base, &AppPolicies::of(s)))
    })?;
    Ok(wire::ok(&out))
}

async fn delete_app(Path(app_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let app = s.app(&app_id)?.clone();
        if app.status == AppStatus::Active {
            return Err(OktaError::AppDeleteForbidden);
        }
        s.apps.remove(&app_id);
        super::roles::forget_app(s, &app_id);
        let prefix = format!("{app_id}:");
        for k in s.app_users.keys().filter(|k| k.starts_with(&prefix)).cloned().collect::<Vec<_>>() {
            s.app_users.remove(&k);
        }
        for k in s.app_groups.keys().filter(|k| k.starts_with(&prefix)).cloned().collect::<Vec<_>>() {
            s.app_groups.remove(&k);
        }
        for k in s.grants.iter().filter(|(_, g)| g.app_id == app_id).map(|(k, _)| k.clone()).collect::<Vec<_>>() {
            s.grants.remove(&k);
        }
        caller.log(
            s,
            ids,
            now,
            Event::new("application.lifecycle.delete", "Delete application", vec![Target::app(&app)]),
        );
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn lifecycle(Path((app_id, op)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.manage")?;
    let (status, event, message) = match op.as_str() {
        "activate" => (AppStatus::Active, "application.lifecycle.activate", "Activate application"),
        "deactivate" => (AppStatus::Inactive, "application.lifecycle.deactivate", "Deactivate application"),
        _ => return Err(OktaError::not_found(call.path.clone(), "Resource")),
    };
    let now = call.now();
    call.write(|s, ids| {
        let mut app = s.app(&app_id)?.clone();
        if app.status != status {
            app.status = status;
            app.last_updated = now;
            s.apps.insert(app_id.clone(), app.clone());
            caller.log(s, ids, now, Event::new(event, message, vec![Target::app(&app)]));
        }
        Ok(())
    })?;
    Ok(wire::ok(&json!({})))
}

// --- app users -------------------------------------------------------------

fn app_user_json(s: &OktaState, app: &App, user_id: &str, scope: &str, base: &str, expand_user: bool) -> Option<Value> {
    let user = s.users.get(user_id)?;
    let direct = s.app_users.get(&pair_key(&app.id, user_id));
    let created = direct.map_or(user.created.max(app.created), |d| d.created);
    let last_updated = direct.map_or(created, |d| d.last_updated);
    let mut credentials = direct.map_or_else(|| json!({"userName": user.login()}), |d| d.credentials.clone());
    if credentials.get("userName").is_none() {
        credentials["userName"] = json!(user.login());
    }
    // A stored password is write-only: it shows as an empty object.
    if credentials.get("password").is_some() {
        credentials["password"] = json!({});
    }
    let status = match user.status {
        UserStatus::Deprovisioned => "DEPROVISIONED",
        UserStatus::Suspended => "SUSPENDED",
        _ => "ACTIVE",
    };
    let mut out = json!({
        "id": user.id,
        "externalId": null,
        "created": ts(created),
        "lastUpdated": ts(last_updated),
        "scope": scope,
        "status": status,
        "statusChanged": ts(created),
        "passwordChanged": null,
        "syncState": "DISABLED",
        "credentials": credentials,
        "profile": direct.map_or(json!({}), |d| d.profile.clone()),
        "_links": {
            "app": {"href": format!("{base}/api/v1/apps/{}", app.id)},
            "user": {"href": format!("{base}/api/v1/users/{}", user.id)},
        }
    });
    if expand_user {
        out["_embedded"] = json!({"user": render::user(s, user, base)});
    }
    Some(out)
}

async fn list_users(Path(app_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.read")?;
    let limit = call.query.limit(50, 500)?;
    let after = call.query.after()?;
    let keyword = call.query.text("q").map(str::to_lowercase);
    let expand_user = call.query.expand(|e| e == "user")?.iter().any(|e| e == "user");
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        let app = s.app(&app_id)?;
        let keyed: Vec<(String, (String, &'static str))> = s
            .app_user_ids(&app.id)
            .into_iter()
            .filter(|(uid, _)| {
                keyword.as_ref().is_none_or(|k| {
                    s.users.get(uid).is_some_and(|u| {
                        ["firstName", "lastName", "email", "login"].iter().any(|f| {
                            u.profile
                                .get(*f)
                                .and_then(Value::as_str)
                                .is_some_and(|v| v.to_lowercase().starts_with(k.as_str()))
                        })
                    })
                })
            })
            .map(|(uid, scope)| (uid.clone(), (uid, scope)))
            .collect();
        let (page, next) = paginate(keyed, after, limit, Order::KeyAscending)?;
        let rendered = page
            .iter()
            .filter_map(|(uid, scope)| app_user_json(s, app, uid, scope, &base, expand_user))
            .collect::<Vec<_>>();
        Ok((rendered, next))
    })??;
    let path = format!("/api/v1/apps/{app_id}/users");
    Ok(wire::page(items, link_headers(&base, &path, &call.query, next.as_deref())))
}

/// Credentials and profile of an assignment body, refused as Okta refuses them
/// (400 E0000001 with a cause): credentials hold only `userName` (1–100 characters)
/// and `password` (`{value}`); profile attribute names are variable names (a letter,
/// then letters, digits and underscores), so a key like `""` is no attribute.
fn assignment_fields(body: &Map<String, Value>) -> Result<(Value, Value), OktaError> {
    let credentials = match body.get("credentials") {
        None | Some(Value::Null) => json!({}),
        Some(Value::Object(c)) => {
            check_app_credentials(c)?;
            Value::Object(c.clone())
        }
        Some(_) => {
            return Err(OktaError::validation("credentials", "credentials: Does not match required type: object"))
        }
    };
    let profile = match body.get("profile") {
        None | Some(Value::Null) => json!({}),
        Some(Value::Object(p)) => {
            check_profile_names(p)?;
            Value::Object(p.clone())
        }
        Some(_) => return Err(OktaError::validation("profile", "profile: Does not match required type: object")),
    };
    Ok((credentials, profile))
}

/// An app user's credentials: `userName` and `password` only.
fn check_app_credentials(c: &Map<String, Value>) -> Result<(), OktaError> {
    for (key, value) in c {
        match (key.as_str(), value) {
            (_, Value::Null) if key == "userName" || key == "password" => {}
            ("userName", Value::String(name)) => {
                let len = name.chars().count();
                if !(1..=100).contains(&len) {
                    return Err(OktaError::validation(
                        "userName",
                        "userName: The field must be between 1 and 100 characters long",
                    ));
                }
            }
            ("userName", _) => {
                return Err(OktaError::validation("userName", "userName: Does not match required type: string"))
            }
            ("password", Value::Object(p)) => {
                if let Some(extra) = p.keys().find(|k| *k != "value") {
                    return Err(OktaError::validation(
                        "password",
                        format!("password: Property '{extra}' is not recognized; a password has only a value"),
                    ));
                }
                if p.get("value").is_some_and(|v| !v.is_string() && !v.is_null()) {
                    return Err(OktaError::validation("password", "password: Does not match required type: object"));
                }
            }
            ("password", _) => {
                return Err(OktaError::validation("password", "password: Does not match required type: object"))
            }
            _ => {
                return Err(OktaError::validation(
                    "credentials",
                    format!(
                    "credentials: Property '{key}' is not recognized; app user credentials are userName and password"
                ),
                ))
            }
        }
    }
    Ok(())
}

/// Profile attribute names are Okta variable names.
fn check_profile_names(p: &Map<String, Value>) -> Result<(), OktaError> {
    for key in p.keys() {
        let mut chars = key.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && key.len() <= 100;
        if !valid {
            return Err(OktaError::validation(
                "profile",
                format!("profile: Property name '{key}' is not valid: it must start with a letter and hold only letters, digits and underscores"),
            ));
        }
    }
    Ok(())
}

/// Who writes, and when, for an assignment.
struct Writer<'a> {
    caller: &'a super::Caller,
    now: DateTime<Utc>,
    base: &'a str,
}

fn upsert_assignment(
    s: &mut OktaState,
    ids: &mut IdGen,
    w: &Writer<'_>,
    app_id: &str,
    user_id: &str,
    body: &Map<String, Value>,
) -> Result<Value, OktaError> {
    let app = s.app(app_id)?.clone();
    let user = s.users.get(user_id).cloned().ok_or_else(|| OktaError::not_found(user_id, "User"))?;
    if user.status == UserStatus::Deprovisioned {
        return Err(OktaError::validation("id", "id: A deactivated user cannot be assigned to an application"));
    }
    let (mut credentials, profile) = assignment_fields(body)?;
    w.caller.require(s, "okta.apps.manage", crate::admin::On::App(app_id))?;
    crate::schema::enforce_app_user(s, app_id, &profile, Some(user_id), false)?;
    if credentials.get("userName").is_none() {
        credentials["userName"] = json!(user.login());
    }
    let (caller, now, base) = (w.caller, w.now, w.base);
    let key = pair_key(app_id, user_id);
    let existing = s.app_users.get(&key).cloned();
    let record = AppUser {
        app_id: app_id.to_string(),
        user_id: user_id.to_string(),
        created: existing.as_ref().map_or(now, |e| e.created),
        last_updated: now,
        credentials,
        profile,
    };
    s.app_users.insert(key, record);
    if existing.is_none() {
        caller.log(
            s,
            ids,
            now,
            Event::new(
                "application.user_membership.add",
                "Add user to application membership",
                vec![Target::user(&user), Target::app(&app)],
            ),
        );
    }
    app_user_json(s, &app, user_id, "USER", base, false).ok_or(OktaError::Internal)
}

async fn assign_user(Path(app_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.manage")?;
    let body = body_object(&call.body)?;
    let user_id = body
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or(OktaError::MissingParameter { name: "id".into() })?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        upsert_assignment(s, ids, &Writer { caller: &caller, now, base: &base }, &app_id, &user_id, &body)
    })?;
    Ok(wire::ok(&out))
}

async fn update_user(Path((app_id, user_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.manage")?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        s.app(&app_id)?;
        if s.app_assignment_scope(&app_id, &user_id).is_none() {
            return Err(OktaError::not_found(&user_id, "AppUser"));
        }
        upsert_assignment(s, ids, &Writer { caller: &caller, now, base: &base }, &app_id, &user_id, &body)
    })?;
    Ok(wire::ok(&out))
}

async fn get_user(Path((app_id, user_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.read")?;
    let expand_user = call.query.expand(|e| e == "user")?.iter().any(|e| e == "user");
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        let app = s.app(&app_id)?;
        let scope =
            s.app_assignment_scope(&app_id, &user_id).ok_or_else(|| OktaError::not_found(&user_id, "AppUser"))?;
        app_user_json(s, app, &user_id, scope, &base, expand_user)
            .ok_or_else(|| OktaError::not_found(&user_id, "AppUser"))
    })??;
    Ok(wire::ok(&out))
}

async fn unassign_user(Path((app_id, user_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let app = s.app(&app_id)?.clone();
        match s.app_assignment_scope(&app_id, &user_id) {
            None => Err(OktaError::not_found(&user_id, "AppUser")),
            Some("GROUP") => Err(OktaError::validation(
                "userId",
                "userId: The user is assigned to the application through a group; remove the group assignment instead",
            )),
            Some(_) => {
                s.app_users.remove(&pair_key(&app_id, &user_id));
                let mut targets = vec![Target::app(&app)];
                if let Some(u) = s.users.get(&user_id) {
                    targets.insert(0, Target::user(u));
                }
                caller.log(
                    s,
                    ids,
                    now,
                    Event::new(
                        "application.user_membership.remove",
                        "Remove user from application membership",
                        targets,
                    ),
                );
                Ok(())
            }
        }
    })?;
    Ok(wire::no_content())
}

// --- app groups ------------------------------------------------------------

fn app_group_json(a: &AppGroup, base: &str) -> Value {
    json!({
        "id": a.group_id,
        "lastUpdated": ts(a.last_updated),
        "priority": a.priority,
        "profile": a.profile,
        "_links": {
            "app": {"href": format!("{base}/api/v1/apps/{}", a.app_id)},
            "self": {"href": format!("{base}/api/v1/apps/{}/groups/{}", a.app_id, a.group_id)},
            "group": {"href": format!("{base}/api/v1/groups/{}", a.group_id)},
        }
    })
}

async fn list_groups(Path(app_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.read")?;
    call.query.expand(|e| matches!(e, "group" | "metadata"))?;
    let limit = call.query.limit(20, 200)?;
    let after = call.query.after()?;
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        s.app(&app_id)?;
        let prefix = format!("{app_id}:");
        let keyed: Vec<(String, &AppGroup)> = s
            .app_groups
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, a)| (a.group_id.clone(), a))
            .collect();
        let (page, next) = paginate(keyed, after, limit, Order::KeyAscending)?;
        Ok((page.into_iter().map(|a| app_group_json(a, &base)).collect::<Vec<_>>(), next))
    })??;
    let path = format!("/api/v1/apps/{app_id}/groups");
    Ok(wire::page(items, link_headers(&base, &path, &call.query, next.as_deref())))
}

async fn get_group(Path((app_id, group_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.read")?;
    call.query.expand(|e| matches!(e, "group" | "metadata"))?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        s.app(&app_id)?;
        s.app_groups
            .get(&pair_key(&app_id, &group_id))
            .map(|a| app_group_json(a, &base))
            .ok_or_else(|| OktaError::not_found(&group_id, "AppGroupAssignment"))
    })??;
    Ok(wire::ok(&out))
}

async fn assign_group(Path((app_id, group_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.manage")?;
    let body = body_object(&call.body)?;
    let priority = match body.get("priority") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_i64().filter(|p| *p >= 0).ok_or_else(|| {
            OktaError::validation("priority", "priority: Does not match required type: non-negative integer")
        })?),
    };
    let (_, profile) = assignment_fields(&body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let app = s.app(&app_id)?.clone();
        let group = s.groups.get(&group_id).cloned().ok_or_else(|| OktaError::not_found(&group_id, "UserGroup"))?;
        caller.require(s, "okta.apps.manage", crate::admin::On::App(&app_id))?;
        crate::schema::enforce_app_user(s, &app_id, &profile, None, true)?;
        let key = pair_key(&app_id, &group_id);
        let existing = s.app_groups.get(&key).cloned();
        let next_priority = s.app_groups.values().filter(|g| g.app_id == app_id).count() as i64;
        let record = AppGroup {
            app_id: app_id.clone(),
            group_id: group_id.clone(),
            priority: priority.or(existing.as_ref().map(|e| e.priority)).unwrap_or(next_priority),
            last_updated: now,
            profile,
        };
        s.app_groups.insert(key, record.clone());
        if existing.is_none() {
            caller.log(
                s,
                ids,
                now,
                Event::new(
                    "group.application_assignment.add",
                    "Add assigned application to group",
                    vec![Target::app(&app), Target::group(&group)],
                ),
            );
        }
        Ok(app_group_json(&record, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn unassign_group(Path((app_id, group_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let app = s.app(&app_id)?.clone();
        if s.app_groups.remove(&pair_key(&app_id, &group_id)).is_none() {
            return Err(OktaError::not_found(&group_id, "AppGroupAssignment"));
        }
        let mut targets = vec![Target::app(&app)];
        if let Some(g) = s.groups.get(&group_id) {
            targets.push(Target::group(g));
        }
        caller.log(
            s,
            ids,
            now,
            Event::new("group.application_assignment.remove", "Remove assigned application from group", targets),
        );
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn app_links(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    let base = call.base().to_string();
    let key = if key == "me" { caller.principal.subject.clone() } else { key };
    let items = call.read(|s| -> Result<Vec<Value>, OktaError> {
        let user = s.user(&key)?;
        Ok(s.user_app_ids(&user.id)
            .iter()
            .filter_map(|id| s.apps.get(id))
            .filter(|a| a.status == AppStatus::Active)
            .enumerate()
            .map(|(i, a)| {
                json!({
                    "id": format!("00ub{}", a.id.get(4..).unwrap_or_default()),
                    "label": a.label,
                    "linkUrl": format!("{base}/home/{}/{}/aln{}", a.name, a.id, a.id.get(3..).unwrap_or_default()),
                    "logoUrl": format!("{base}/assets/img/logos/default.png"),
                    "appName": a.name,
                    "appInstanceId": a.id,
                    "appAssignmentId": format!("0ua{}", a.id.get(3..).unwrap_or_default()),
                    "credentialsSetup": false,
                    "hidden": false,
                    "sortOrder": i,
                })
            })
            .collect())
    })??;
    Ok(wire::ok(&Value::Array(items)))
}
