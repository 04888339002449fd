//! OAuth: installing the app and Sign in with Slack. The app's client id is a credential
//! of its universe (an exchange carries no token, so the client id routes it); its
//! secret is in the app's settings. The authorize endpoints are headless: the installing
//! person (the workspace's first admin, or the one `dtu_user` names) approves at once and
//! the browser is sent back to `redirect_uri` with a `code`; the exchange methods turn
//! the code, once and within ten minutes on the universe clock, into tokens holding
//! exactly the scopes that were asked for.

use std::sync::{Arc, OnceLock};

use axum::extract::Extension;
use axum::http::header::{CACHE_CONTROL, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use twin_core::ids::IdGen;
use twin_core::jwt::KeySet;
use twin_core::{Principal, RequestCtx};

use super::{ok, Call, Reply};
use crate::errors::{json_response, SlackError};
use crate::model::{
    OAuthCode, OAuthFlow, OAuthToken, Revocation, SlackState, TokenKind, User, OAUTH_CLIENT_PRINCIPAL,
    OAUTH_CODE_LIFETIME_S, OAUTH_PRINCIPAL, ROTATING_TOKEN_LIFETIME_S,
};
use crate::wire::{parse_params, Params};

/// Sign in with Slack's issuer, as Slack's id tokens name it.
pub const OPENID_ISSUER: &str = "https://slack.com";
/// How long an id token is valid (seconds).
const ID_TOKEN_LIFETIME_S: i64 = 3600;
/// The most authorization codes waiting at once; the oldest go first.
const MAX_CODES: usize = 1000;
/// The twin's own authorize parameters: who approves, and whether they do.
pub const USER_HINT: &str = "dtu_user";
pub const DECISION: &str = "dtu_decision";
/// The scopes Sign in with Slack grants.
const OPENID_SCOPES: &[&str] = &["openid", "email", "profile"];

const AUTHORIZE_ROUTES: &[(&str, OAuthFlow, &str)] = &[
    ("/oauth/v2/authorize", OAuthFlow::V2, "oauth.v2.authorize"),
    ("/oauth/v2_user/authorize", OAuthFlow::V2User, "oauth.v2_user.authorize"),
    ("/oauth/authorize", OAuthFlow::Legacy, "oauth.authorize"),
    ("/openid/connect/authorize", OAuthFlow::OpenId, "openid.connect.authorize"),
];
const KEYS_PATH: &str = "/openid/connect/keys";
const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

pub fn router() -> Router {
    let mut router = Router::new();
    for &(path, flow, _) in AUTHORIZE_ROUTES {
        router = router.route(
            path,
            get(move |ctx: Option<Extension<RequestCtx>>, uri: Uri| async move { authorize(flow, ctx, uri) }),
        );
    }
    router.route(KEYS_PATH, get(|| async { json_response(StatusCode::OK, &key_set().jwks()) })).route(
        DISCOVERY_PATH,
        get(|ctx: Option<Extension<RequestCtx>>| async move {
            match ctx {
                Some(Extension(ctx)) => json_response(StatusCode::OK, &discovery(&ctx.universe_url())),
                None => SlackError::Internal.into_response(),
            }
        }),
    )
}

/// The journal's name for the OAuth pages (they are not Web API methods).
pub fn operation_name(path: &str) -> Option<&'static str> {
    let path = path.strip_suffix('/').filter(|p| !p.is_empty()).unwrap_or(path);
    if let Some(&(_, _, name)) = AUTHORIZE_ROUTES.iter().find(|(p, _, _)| *p == path) {
        return Some(name);
    }
    match path {
        KEYS_PATH => Some("openid.connect.keys"),
        DISCOVERY_PATH => Some("openid.connect.configuration"),
        _ => None,
    }
}

/// Sign in with Slack's signing key (test data shipped with the crate).
fn key_set() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| KeySet::from_pems(&[include_str!("../../keys/openid-signing.pem")]))
}

fn discovery(universe_url: &str) -> Value {
    json!({
        "issuer": OPENID_ISSUER,
        "authorization_endpoint": format!("{universe_url}/openid/connect/authorize"),
        "token_endpoint": format!("{universe_url}/api/openid.connect.token"),
        "userinfo_endpoint": format!("{universe_url}/api/openid.connect.userInfo"),
        "jwks_uri": format!("{universe_url}{KEYS_PATH}"),
        "scopes_supported": OPENID_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["form_post"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "auth_time", "iss"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
    })
}

/// Copies `Authorization: Basic` client credentials into the arguments (arguments win).
pub fn take_basic_credentials(headers: &HeaderMap, params: &mut Params) {
    if let Some((id, secret)) = twin_core::wire::basic_credentials(headers) {
        if params.nonempty("client_id").is_none() {
            params.set("client_id", id);
        }
        if params.nonempty("client_secret").is_none() {
            params.set("client_secret", secret);
        }
    }
}

// --- authorize -------------------------------------------------------------------

/// Why an authorize request did not produce a code.
#[derive(Debug, PartialEq)]
enum Refusal {
    /// Shown on Slack's page: the client or its redirect cannot be trusted.
    Page(&'static str),
    /// Sent back to the app's redirect URI as `error`.
    Redirect { location: String },
}

fn authorize(flow: OAuthFlow, ctx: Option<Extension<RequestCtx>>, uri: Uri) -> Response {
    let Some(Extension(ctx)) = ctx else { return SlackError::Internal.into_response() };
    let location = match approve(flow, &ctx, uri.query()) {
        Ok(location) | Err(Refusal::Redirect { location }) => location,
        Err(Refusal::Page(error)) => {
            tracing::debug!(error, "authorize refused");
            return json_response(StatusCode::BAD_REQUEST, &json!({"ok": false, "error": error}));
        }
    };
    let mut response = StatusCode::FOUND.into_response();
    match HeaderValue::from_str(&location) {
        Ok(value) => {
            response.headers_mut().insert(LOCATION, value);
            response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(_) => json_response(StatusCode::BAD_REQUEST, &json!({"ok": false, "error": "bad_redirect_uri"})),
    }
}

/// `redirect_uri` with the answer's parameters added to its query.
fn redirect_to(redirect_uri: &reqwest::Url, pairs: &[(&str, &str)]) -> String {
    let mut url = redirect_uri.clone();
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
    }
    url.to_string()
}

/// Scopes as an authorize URL lists them (commas, or spaces).
fn scope_list(params: &Params, key: &str) -> Result<Vec<String>, ()> {
    let raw = params.str(key).unwrap_or_default();
    let mut scopes: Vec<String> = Vec::new();
    for scope in raw.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
        let valid = scope.len() <= 100
            && scope.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b":._-".contains(&b));
        if !valid {
            return Err(());
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_string());
        }
    }
    Ok(scopes)
}

/// Whether `client_id` is this universe's app.
fn is_client(ctx: &RequestCtx, client_id: &str) -> bool {
    ctx.universe.credential_of("slack", OAUTH_CLIENT_PRINCIPAL).as_deref() == Some(client_id.trim())
}

/// The installing person: the one named (id, handle or email), else the first admin.
fn installer<'s>(s: &'s SlackState, hint: Option<&str>) -> Option<&'s User> {
    let person = |u: &&User| !u.is_bot && !u.deleted && u.id != crate::model::SLACKBOT;
    match hint.map(str::trim) {
        Some(hint) => s.users.values().filter(person).find(|u| {
            u.id == hint || u.name == hint || u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(hint))
        }),
        None => s
            .users
            .values()
            .filter(person)
            .find(|u| u.is_primary_owner)
            .or_else(|| s.users.values().filter(person).find(|u| u.is_admin))
            .or_else(|| s.users.values().find(person)),
    }
}

fn approve(flow: OAuthFlow, ctx: &RequestCtx, query: Option<&str>) -> Result<String, Refusal> {
    let params = parse_params(&HeaderMap::new(), query, &[]).map_err(|_| Refusal::Page("invalid_arguments"))?;
    let client_id = params.nonempty("client_id").ok_or(Refusal::Page("invalid_client_id"))?;
    if !is_client(ctx, &client_id) {
        return Err(Refusal::Page("invalid_client_id"));
    }
    // No redirect URLs are configured for the app: the flow must name where to return.
    let redirect_uri = params.nonempty("redirect_uri").ok_or(Refusal::Page("bad_redirect_uri"))?;
    let target = reqwest::Url::parse(redirect_uri.trim()).map_err(|_| Refusal::Page("bad_redirect_uri"))?;
    if target.cannot_be_a_base() {
        return Err(Refusal::Page("bad_redirect_uri"));
    }
    let state = params.str("state");
    let refuse = |error: &str| {
        let mut pairs = vec![("error", error)];
        if let Some(state) = &state {
            pairs.push(("state", state.as_str()));
        }
        Refusal::Redirect { location: redirect_to(&target, &pairs) }
    };
    if params.str(DECISION).is_some_and(|d| d.trim() == "deny") {
        return Err(refuse("access_denied"));
    }
    let scope = scope_list(&params, "scope").map_err(|_| refuse("invalid_scope"))?;
    let (scopes, user_scopes) = match flow {
        OAuthFlow::V2 => (scope, scope_list(&params, "user_scope").map_err(|_| refuse("invalid_scope"))?),
        OAuthFlow::V2User => (Vec::new(), scope),
        OAuthFlow::Legacy => (scope, Vec::new()),
        OAuthFlow::OpenId => {
            if params.str("response_type").is_some_and(|r| r.trim() != "code") {
                return Err(refuse("unsupported_response_type"));
            }
            if !scope.iter().any(|s| s == "openid") || scope.iter().any(|s| !OPENID_SCOPES.contains(&s.as_str())) {
                return Err(refuse("invalid_scope"));
            }
            (scope, Vec::new())
        }
    };
    let challenge_method = params.nonempty("code_challenge_method");
    if challenge_method.as_deref().is_some_and(|m| m != "S256" && m != "plain") {
        return Err(refuse("invalid_request"));
    }
    let now = ctx.universe.now().timestamp();
    let hint = params.nonempty(USER_HINT);
    let code = ctx
        .universe
        .write::<SlackState, _>(|s, ids| {
            let user = installer(s, hint.as_deref()).ok_or(Refusal::Page("user_not_found"))?.id.clone();
            // Slack's shape: `{10 digits}.{13 digits}.{64 hex}`.
            let (a, b) = (ids.next_u64() % 10_000_000_000, ids.next_u64() % 10_000_000_000_000);
            let code = format!("{a:010}.{b:013}.{}", ids.hex(64));
            prune_codes(s, now);
            s.oauth_codes.insert(
                code.clone(),
                OAuthCode {
                    flow,
                    user,
                    scopes,
                    user_scopes,
                    redirect_uri: Some(redirect_uri.trim().to_string()),
                    code_challenge: params.nonempty("code_challenge"),
                    code_challenge_method: challenge_method,
                    nonce: params.str("nonce"),
                    issued_at: now,
                    used: false,
                },
            );
            Ok(code)
        })
        .map_err(|_| Refusal::Page("internal_error"))??;
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = &state {
        pairs.push(("state", state.as_str()));
    }
    Ok(redirect_to(&target, &pairs))
}

/// Drops codes past their lifetime, then the oldest while too many wait.
fn prune_codes(s: &mut SlackState, now: i64) {
    let expired: Vec<String> = s
        .oauth_codes
        .iter()
        .filter(|(_, c)| now - c.issued_at >= OAUTH_CODE_LIFETIME_S)
        .map(|(k, _)| k.clone())
        .collect();
    for key in expired {
        s.oauth_codes.remove(&key);
    }
    while s.oauth_codes.len() >= MAX_CODES {
        let Some(oldest) = s.oauth_codes.iter().min_by_key(|(_, c)| c.issued_at).map(|(k, _)| k.clone()) else {
            break;
        };
        s.oauth_codes.remove(&oldest);
    }
}

// --- the exchanges -----------------------------------------------------------------

/// What each exchange answers when a code is refused.
struct CodeErrors {
    /// A code already exchanged.
    used: &'static str,
    /// A code past its ten minutes.
    expired: &'static str,
}

const V2_CODE_ERRORS: CodeErrors = CodeErrors { used: "invalid_code", expired: "invalid_code" };
const LEGACY_CODE_ERRORS: CodeErrors = CodeErrors { used: "code_already_used", expired: "invalid_code" };
const OPENID_CODE_ERRORS: CodeErrors = CodeErrors { used: "invalid_grant", expired: "invalid_grant" };

/// The app's client id must be this universe's (`invalid_client_id`). Returns whether a
/// secret was given, and checks it when it was (`bad_client_secret`).
fn check_client(call: &Call<'_>) -> Result<bool, SlackError> {
    let client_id = call.params.nonempty("client_id").ok_or(SlackError::Code("invalid_client_id"))?;
    if !is_client(call.ctx, &client_id) {
        return Err(SlackError::Code("invalid_client_id"));
    }
    let Some(secret) = call.params.nonempty("client_secret") else { return Ok(false) };
    let expected = call.read(|s| Ok(s.app().map(|a| a.client_secret.clone()).unwrap_or_default()))?;
    if expected.is_empty() || !constant_time_eq(secret.trim().as_bytes(), expected.as_bytes()) {
        return Err(SlackError::Code("bad_client_secret"));
    }
    Ok(true)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks a code against the exchange (flow, use, age, redirect URI, PKCE, client
/// authentication, then the exchange's own `check`) and marks it used. Runs inside the
/// write that issues the tokens, so a code is exchanged at most once.
fn redeem(
    s: &mut SlackState,
    call: &Call<'_>,
    flow: OAuthFlow,
    errors: &CodeErrors,
    secret_given: bool,
    check: impl Fn(&OAuthCode) -> Result<(), SlackError>,
) -> Result<OAuthCode, SlackError> {
    let key = call.params.nonempty("code").ok_or(SlackError::Code("invalid_code"))?;
    let code = s.oauth_codes.get(key.trim()).cloned().ok_or(SlackError::Code("invalid_code"))?;
    if code.flow != flow {
        return Err(SlackError::Code("oauth_authorization_url_mismatch"));
    }
    if code.used {
        return Err(SlackError::Code(errors.used));
    }
    if call.now_s() - code.issued_at >= OAUTH_CODE_LIFETIME_S {
        return Err(SlackError::Code(errors.expired));
    }
    if let Some(expected) = &code.redirect_uri {
        if call.params.str("redirect_uri").map(|r| r.trim().to_string()).as_deref() != Some(expected.as_str()) {
            return Err(SlackError::Code("bad_redirect_uri"));
        }
    }
    let verifier = call.params.nonempty("code_verifier");
    match (&code.code_challenge, verifier) {
        (Some(challenge), Some(verifier)) => {
            let computed = match code.code_challenge_method.as_deref() {
                Some("S256") => twin_core::jwt::s256(verifier.as_bytes()),
                _ => verifier,
            };
            if &computed != challenge {
                return Err(SlackError::Code("invalid_code_verifier"));
            }
        }
        // A public client (PKCE) may leave the secret out; any other may not.
        (Some(_), None) if !secret_given => return Err(SlackError::Code("invalid_code_verifier")),
        (None, Some(_)) => return Err(SlackError::Code("invalid_code_verifier")),
        (None, None) if !secret_given => return Err(SlackError::Code("bad_client_secret")),
        _ => {}
    }
    check(&code)?;
    if let Some(stored) = s.oauth_codes.get_mut(key.trim()) {
        stored.used = true;
    }
    Ok(code)
}

/// What `grant_type` asks for.
#[derive(Debug, PartialEq)]
enum GrantType {
    Code,
    Refresh,
}

fn grant_type(call: &Call<'_>, unsupported: &'static str) -> Result<GrantType, SlackError> {
    match call.params.nonempty("grant_type").as_deref().map(str::trim) {
        None | Some("authorization_code") => Ok(GrantType::Code),
        Some("refresh_token") => Ok(GrantType::Refresh),
        Some(_) => Err(SlackError::Code(unsupported)),
    }
}

/// A token's grant, recorded in the write that issues it; its credential is minted once
/// the write has succeeded.
struct Grant {
    id: String,
    kind: TokenKind,
    scopes: String,
    /// Rotating tokens: when it expires (seconds from now) and its refresh token.
    rotation: Option<(i64, String)>,
}

fn grant(
    s: &mut SlackState,
    ids: &mut IdGen,
    kind: TokenKind,
    user: &str,
    scopes: Vec<String>,
    now: i64,
    rotating: bool,
) -> Grant {
    let id = ids.upper_id("OA", 12);
    let record = OAuthToken {
        kind: kind.name().into(),
        user: user.to_string(),
        scopes: Arc::new(scopes),
        issued_at: now,
        expires_at: rotating.then_some(now + ROTATING_TOKEN_LIFETIME_S),
    };
    let scopes = record.scopes.join(",");
    let rotation = rotating.then(|| {
        let refresh = format!("xoxe-1-{}", ids.hex(64));
        s.oauth_refresh_tokens.insert(refresh.clone(), OAuthToken { expires_at: None, ..record.clone() });
        (ROTATING_TOKEN_LIFETIME_S, refresh)
    });
    s.oauth_tokens.insert(id.clone(), record);
    Grant { id, kind, scopes, rotation }
}

/// The grant's credential: `xoxb-`/`xoxp-`, or `xoxe.xoxb-1-`/`xoxe.xoxp-1-` when it rotates.
fn mint(call: &Call<'_>, grant: &Grant) -> String {
    let prefix = match (grant.kind == TokenKind::Bot, grant.rotation.is_some()) {
        (true, false) => "xoxb-",
        (false, false) => "xoxp-",
        (true, true) => "xoxe.xoxb-1-",
        (false, true) => "xoxe.xoxp-1-",
    };
    let principal = Principal { service: "slack".into(), kind: OAUTH_PRINCIPAL.into(), subject: grant.id.clone() };
    call.ctx.core.mint_credential(&call.ctx.universe, prefix, principal)
}

/// `access_token`, `scope` and, for a rotating token, `expires_in` and `refresh_token`.
fn token_fields(call: &Call<'_>, grant: &Grant, into: &mut Value) {
    into["access_token"] = json!(mint(call, grant));
    into["scope"] = json!(grant.scopes);
    if let Some((expires_in, refresh)) = &grant.rotation {
        into["expires_in"] = json!(expires_in);
        into["refresh_token"] = json!(refresh);
    }
}

fn team_json(s: &SlackState) -> Value {
    s.team().map(|t| json!({"id": t.id, "name": t.name})).unwrap_or(Value::Null)
}

fn rotates(s: &SlackState) -> bool {
    s.app().is_some_and(|a| a.token_rotation)
}

/// What an exchange hands back: the code it redeemed and the grants it recorded.
struct Issued {
    code: OAuthCode,
    bot: Option<Grant>,
    user: Option<Grant>,
    bot_user: String,
    app_id: String,
    team: Value,
}

/// Redeems the code and records a bot grant for the bot scopes `split` gives, when there
/// are any, and a user grant for the user scopes (in the v2 flow only when there are
/// any: the other flows always issue a user token); `check` refuses a code before it is
/// used.
fn issue(
    call: &Call<'_>,
    flow: OAuthFlow,
    errors: &CodeErrors,
    split: impl Fn(&OAuthCode, &SlackState) -> (Vec<String>, Vec<String>),
    check: impl Fn(&OAuthCode) -> Result<(), SlackError>,
) -> Result<Issued, SlackError> {
    let secret_given = check_client(call)?;
    let now = call.now_s();
    call.write(|s, ids| {
        let code = redeem(s, call, flow, errors, secret_given, &check)?;
        let bot = s.bot().cloned().ok_or(SlackError::Internal)?;
        // Sign in with Slack's tokens do not rotate.
        let rotating = rotates(s) && flow != OAuthFlow::OpenId;
        let (bot_scopes, user_scopes) = split(&code, s);
        let bot_grant =
            (!bot_scopes.is_empty()).then(|| grant(s, ids, TokenKind::Bot, &bot.user_id, bot_scopes, now, rotating));
        let user_grant = (!user_scopes.is_empty() || flow != OAuthFlow::V2)
            .then(|| grant(s, ids, TokenKind::User, &code.user, user_scopes, now, rotating));
        Ok(Issued {
            code,
            bot: bot_grant,
            user: user_grant,
            bot_user: bot.user_id,
            app_id: bot.app_id,
            team: team_json(s),
        })
    })
}

/// A `refresh_token` grant: the refresh token (used once) for a new rotating token with
/// the same scopes, and the next refresh token.
fn refresh(call: &Call<'_>) -> Result<Reply, SlackError> {
    if !check_client(call)? {
        return Err(SlackError::Code("bad_client_secret"));
    }
    let presented = call.params.nonempty("refresh_token").ok_or(SlackError::Code("invalid_refresh_token"))?;
    let now = call.now_s();
    let (grant, user, bot_user, app_id, team) = call.write(|s, ids| {
        let old = s.oauth_refresh_tokens.remove(presented.trim()).ok_or(SlackError::Code("invalid_refresh_token"))?;
        let kind = if old.kind == "bot" { TokenKind::Bot } else { TokenKind::User };
        let bot = s.bot().cloned().ok_or(SlackError::Internal)?;
        let grant = grant(s, ids, kind, &old.user, old.scopes.to_vec(), now, true);
        Ok((grant, old.user, bot.user_id, bot.app_id, team_json(s)))
    })?;
    let mut body = json!({
        "app_id": app_id,
        "token_type": grant.kind.name(),
        "team": team,
        "enterprise": null,
        "is_enterprise_install": false,
    });
    token_fields(call, &grant, &mut body);
    match grant.kind {
        TokenKind::Bot => body["bot_user_id"] = json!(bot_user),
        _ => body["user_id"] = json!(user),
    }
    Ok(ok(body))
}

/// oauth.v2.access: the v2 install flow's code for a bot token (the `scope` asked for)
/// and, when `user_scope` was asked for, the installing person's user token. With token
/// rotation on, both expire and come with refresh tokens, which a `refresh_token` grant
/// takes.
pub fn oauth_v2_access(call: &Call<'_>) -> Result<Reply, SlackError> {
    if grant_type(call, "invalid_grant_type")? == GrantType::Refresh {
        return refresh(call);
    }
    let issued = issue(
        call,
        OAuthFlow::V2,
        &V2_CODE_ERRORS,
        |code, _| (code.scopes.clone(), code.user_scopes.clone()),
        |code| match code.scopes.is_empty() && code.user_scopes.is_empty() {
            true => Err(SlackError::Code("no_scopes")),
            false => Ok(()),
        },
    )?;
    let mut body = json!({
        "app_id": issued.app_id,
        "authed_user": {"id": issued.code.user},
        "team": issued.team,
        "enterprise": null,
        "is_enterprise_install": false,
    });
    if let Some(grant) = &issued.bot {
        body["token_type"] = json!("bot");
        token_fields(call, grant, &mut body);
        body["bot_user_id"] = json!(issued.bot_user);
    }
    if let Some(grant) = &issued.user {
        body["authed_user"]["token_type"] = json!("user");
        token_fields(call, grant, &mut body["authed_user"]);
    }
    Ok(ok(body))
}

/// oauth.v2.user.access: the v2 user flow's code (`/oauth/v2_user/authorize`) for a
/// user token.
pub fn oauth_v2_user_access(call: &Call<'_>) -> Result<Reply, SlackError> {
    if grant_type(call, "invalid_grant_type")? == GrantType::Refresh {
        return refresh(call);
    }
    let issued = issue(
        call,
        OAuthFlow::V2User,
        &V2_CODE_ERRORS,
        |code, _| (Vec::new(), code.user_scopes.clone()),
        |code| match code.user_scopes.is_empty() {
            true => Err(SlackError::Code("no_user_scopes")),
            false => Ok(()),
        },
    )?;
    let grant = issued.user.ok_or(SlackError::Internal)?;
    let mut body = json!({
        "app_id": issued.app_id,
        "user_id": issued.code.user,
        "token_type": "user",
        "team": issued.team,
        "enterprise": null,
        "is_enterprise_install": false,
    });
    token_fields(call, &grant, &mut body);
    Ok(ok(body))
}

/// oauth.access (classic apps): a user token with the scopes asked for; the `bot`
/// scope adds the app's bot token (with the bot's usual scopes).
pub fn oauth_access(call: &Call<'_>) -> Result<Reply, SlackError> {
    let issued = issue(
        call,
        OAuthFlow::Legacy,
        &LEGACY_CODE_ERRORS,
        |code, s| {
            let wants_bot = code.scopes.iter().any(|x| x == "bot");
            let bot = if wants_bot { s.scopes(TokenKind::Bot).to_vec() } else { Vec::new() };
            (bot, code.scopes.iter().filter(|x| *x != "bot").cloned().collect())
        },
        |_| Ok(()),
    )?;
    let grant = issued.user.ok_or(SlackError::Internal)?;
    let team_id = issued.team.get("id").cloned().unwrap_or(Value::Null);
    let team_name = issued.team.get("name").cloned().unwrap_or(Value::Null);
    let mut body = json!({
        "token_type": "user",
        "user_id": issued.code.user,
        "team_id": team_id,
        "team_name": team_name,
        "enterprise_id": null,
        "app_id": issued.app_id,
    });
    token_fields(call, &grant, &mut body);
    // Classic apps name every scope the install asked for, `bot` included.
    body["scope"] = json!(issued.code.scopes.join(","));
    if let Some(bot_grant) = &issued.bot {
        body["bot"] = json!({"bot_user_id": issued.bot_user, "bot_access_token": mint(call, bot_grant)});
    }
    Ok(ok(body))
}

/// openid.connect.token: Sign in with Slack's code for a user token with the OpenID
/// scopes and an id token (RS256, Sign in with Slack's key, `/openid/connect/keys`).
pub fn openid_connect_token(call: &Call<'_>) -> Result<Reply, SlackError> {
    if grant_type(call, "unsupported_grant_type")? == GrantType::Refresh {
        // Sign in with Slack's tokens never rotate: no refresh token was issued.
        return Err(SlackError::Code("invalid_refresh_token"));
    }
    let issued =
        issue(call, OAuthFlow::OpenId, &OPENID_CODE_ERRORS, |code, _| (Vec::new(), code.scopes.clone()), |_| Ok(()))?;
    let grant = issued.user.ok_or(SlackError::Internal)?;
    let access_token = mint(call, &grant);
    let client_id = call.params.nonempty("client_id").unwrap_or_default();
    let code = &issued.code;
    let now = call.now_s();
    let claims = call.read(|s| {
        let user = s.user(&code.user)?;
        let mut claims = identity_claims(s, user, code.scopes.iter().any(|x| x == "email"));
        claims["iss"] = json!(OPENID_ISSUER);
        claims["aud"] = json!(client_id.trim());
        claims["iat"] = json!(now);
        claims["exp"] = json!(now + ID_TOKEN_LIFETIME_S);
        claims["auth_time"] = json!(now);
        claims["at_hash"] = json!(twin_core::jwt::half_hash(&access_token));
        if let Some(nonce) = &code.nonce {
            claims["nonce"] = json!(nonce);
        }
        Ok(claims)
    })?;
    let id_token = key_set().sign(&claims).map_err(|e| {
        tracing::error!("signing an id token: {e}");
        SlackError::Internal
    })?;
    Ok(ok(json!({"access_token": access_token, "token_type": "Bearer", "id_token": id_token})))
}

/// A person as Sign in with Slack's claims name them (userInfo and the id token).
pub fn identity_claims(s: &SlackState, u: &User, with_email: bool) -> Value {
    let team = s.team();
    let profile = crate::views::profile_json(u, true);
    let mut claims = json!({
        "sub": u.id,
        "https://slack.com/user_id": u.id,
        "https://slack.com/team_id": s.team_id(),
        "name": u.real_name,
        "given_name": u.first_name,
        "family_name": u.last_name,
        "locale": "en-US",
        "picture": profile["image_512"],
        "https://slack.com/team_name": team.map(|t| t.name.clone()),
        "https://slack.com/team_domain": team.map(|t| t.domain.clone()),
    });
    for size in ["24", "32", "48", "72", "192", "512"] {
        claims[format!("https://slack.com/user_image_{size}")] = profile[format!("image_{size}")].clone();
    }
    if with_email {
        claims["email"] = json!(u.email);
        claims["email_verified"] = json!(u.email.is_some());
    }
    claims
}

/// oauth.v2.exchange: a long-lived token (one of the universe's, or one an exchange
/// issued before rotation) for a rotating one with the same scopes, once per token;
/// `token_rotation_not_enabled` unless the app rotates tokens.
pub fn oauth_v2_exchange(call: &Call<'_>) -> Result<Reply, SlackError> {
    let client_id = call.arg("client_id")?;
    call.arg("client_secret")?;
    // The token to exchange: an argument, or (as slack_sdk sends it) the request's own.
    let presented = call.ctx.credential.clone().filter(|c| c.trim() != client_id.trim());
    let token = call.params.nonempty("token").or(presented).ok_or_else(|| SlackError::missing("token"))?;
    check_client(call)?;
    let principal = call
        .ctx
        .universe
        .principal(token.trim())
        .filter(|p| p.service == "slack" && matches!(p.kind.as_str(), "bot" | "user" | OAUTH_PRINCIPAL))
        .ok_or(SlackError::Code("invalid_token"))?;
    let now = call.now_s();
    let (grant, user, bot_user, app_id, team) = call.write(|s, ids| {
        if !rotates(s) {
            return Err(SlackError::Code("token_rotation_not_enabled"));
        }
        let (kind, user, scopes) = match principal.kind.as_str() {
            "bot" => (TokenKind::Bot, principal.subject.clone(), s.scopes(TokenKind::Bot).to_vec()),
            "user" => (TokenKind::User, principal.subject.clone(), s.scopes(TokenKind::User).to_vec()),
            _ => {
                let held = s.oauth_tokens.get(&principal.subject).ok_or(SlackError::Code("invalid_token"))?;
                if held.expires_at.is_some() {
                    return Err(SlackError::Code("token_already_exchanged"));
                }
                let kind = if held.kind == "bot" { TokenKind::Bot } else { TokenKind::User };
                (kind, held.user.clone(), held.scopes.to_vec())
            }
        };
        let key = Revocation::key(&principal.kind, &principal.subject);
        if s.revoked_tokens.contains_key(&key) {
            return Err(SlackError::Code("invalid_token"));
        }
        if s.oauth_exchanged.contains_key(&key) {
            return Err(SlackError::Code("token_already_exchanged"));
        }
        s.oauth_exchanged.insert(key, now);
        let bot = s.bot().cloned().ok_or(SlackError::Internal)?;
        let grant = grant(s, ids, kind, &user, scopes, now, true);
        Ok((grant, user, bot.user_id, bot.app_id, team_json(s)))
    })?;
    let mut body = json!({"app_id": app_id, "token_type": grant.kind.name(), "team": team, "enterprise": null});
    token_fields(call, &grant, &mut body);
    match grant.kind {
        TokenKind::Bot => body["bot_user_id"] = json!(bot_user),
        _ => body["user_id"] = json!(user),
    }
    Ok(ok(body))
}

/// apps.uninstall: removes the app from the workspace: every bot and user token it was
/// given stops working (`token_revoked`); its app-level tokens belong to the app and stay.
pub fn apps_uninstall(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.arg("client_id")?;
    call.arg("client_secret")?;
    if !check_client(call)? {
        return Err(SlackError::Code("bad_client_secret"));
    }
    let installed: Vec<(String, String)> = call
        .ctx
        .universe
        .credentials()
        .into_iter()
        .filter(|c| {
            c.principal.service == "slack" && matches!(c.principal.kind.as_str(), "bot" | "user" | OAUTH_PRINCIPAL)
        })
        .map(|c| (c.principal.kind, c.principal.subject))
        .collect();
    let at = call.now_s();
    call.write(|s, _| {
        for (kind, subject) in installed {
            s.revoked_tokens.insert(Revocation::key(&kind, &subject), Revocation { kind, subject, at });
        }
        // Nothing the app held can be refreshed either.
        s.oauth_refresh_tokens = Default::default();
        Ok(())
    })?;
    Ok(ok(json!({})))
}
