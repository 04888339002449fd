//! The installed app's event settings: its request URL (loopback only: no traffic leaves
//! the machine), Socket Mode switch, signing secret and subscriptions; request signing;
//! and the `url_verification` handshake Slack performs when a request URL is set.

use std::sync::LazyLock;
use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, USER_AGENT};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;
use twin_core::ids::IdGen;

use crate::events::EVENT_TYPES;
use crate::model::{App, DeliverySettings};

/// The User-Agent of every request Slack sends to apps.
pub const SLACKBOT_UA: &str = "Slackbot 1.0 (+https://api.slack.com/robots)";

pub const MAX_URL_LEN: usize = 2048;
pub const MAX_RETRIES: usize = 3;
/// The longest any one delivery setting may be (10 minutes).
pub const MAX_DELAY_MS: u64 = 600_000;

/// The fixture's `slack.app` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    pub request_url: Option<String>,
    pub socket_mode: Option<bool>,
    pub signing_secret: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub delivery: Option<DeliverySettings>,
    /// OAuth token rotation: the exchanges issue expiring tokens with refresh tokens.
    pub token_rotation: Option<bool>,
}

/// The app with the twin's defaults: Socket Mode on, no request URL, every event type,
/// and secrets drawn from `secrets` (a generator of the universe's own).
pub fn default_app(app_id: &str, secrets: &mut IdGen) -> App {
    App {
        id: app_id.to_string(),
        request_url: None,
        socket_mode: true,
        signing_secret: secrets.hex(32),
        verification_token: secrets.lower_alnum(24),
        event_types: EVENT_TYPES.iter().map(|t| t.to_string()).collect(),
        delivery: DeliverySettings::default(),
        client_secret: secrets.hex(32),
        token_rotation: false,
    }
}

/// A request URL the twin will call: `http://` on a loopback host (127.0.0.0/8,
/// `localhost`, `[::1]`). Returns it normalised.
pub fn check_request_url(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_LEN {
        return Err(format!("request_url is longer than {MAX_URL_LEN} characters"));
    }
    let url = reqwest::Url::parse(raw).map_err(|e| format!("request_url '{raw}' is not a URL: {e}"))?;
    match url.scheme() {
        "http" => {}
        "https" => return Err("request_url must be http://: the twin does not speak TLS to apps".into()),
        other => return Err(format!("request_url must be http://, not {other}://")),
    }
    if !twin_core::outbound::is_loopback_host(&url) {
        return Err(format!(
            "request_url host '{}' is not a loopback address: the twin only delivers to 127.0.0.0/8, localhost or [::1]",
            url.host_str().unwrap_or("")
        ));
    }
    Ok(url.to_string())
}

pub fn check_signing_secret(secret: &str) -> Result<(), String> {
    if secret.is_empty() || secret.len() > 256 || !secret.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("signing_secret must be 1-256 printable ASCII characters".into());
    }
    Ok(())
}

pub fn check_delivery(d: &DeliverySettings) -> Result<(), String> {
    if !(1..=60_000).contains(&d.http_timeout_ms) {
        return Err("delivery.http_timeout_ms must be 1-60000".into());
    }
    if d.retry_delays_ms.len() > MAX_RETRIES {
        return Err(format!("delivery.retry_delays_ms allows at most {MAX_RETRIES} retries"));
    }
    if d.retry_delays_ms.iter().any(|ms| *ms > MAX_DELAY_MS) {
        return Err(format!("delivery.retry_delays_ms values must be at most {MAX_DELAY_MS}"));
    }
    if !(1..=MAX_DELAY_MS).contains(&d.ack_timeout_ms) {
        return Err(format!("delivery.ack_timeout_ms must be 1-{MAX_DELAY_MS}"));
    }
    Ok(())
}

/// `v0=` + hex(HMAC-SHA256(secret, `v0:{timestamp}:{body}`)): the `X-Slack-Signature`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(3 + digest.len() * 2);
    out.push_str("v0=");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The one HTTP client for calls to apps: no proxy (the URL is loopback), no redirects
/// (Slack follows none), and no idle connections kept: an app under test that stops its
/// server must not wait on a socket the twin holds open.
static CLIENT: LazyLock<Option<reqwest::Client>> =
    LazyLock::new(|| twin_core::outbound::client(Duration::from_secs(3), None));

/// How one request to an app went.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A 2xx answer and its body.
    Ok { status: u16, body: String },
    /// Failed: the `X-Slack-Retry-Reason` of the next attempt, whether the app asked for
    /// no retries, and what happened.
    Failed { reason: &'static str, no_retry: bool, detail: String },
}

/// The largest app answer read (a url_verification challenge or an ack body).
const MAX_ANSWER: usize = 64 * 1024;

/// POSTs a signed JSON body to an app, as Slack does.
pub async fn post_signed(
    url: &str,
    secret: &str,
    body: String,
    content_type: &'static str,
    retry: Option<(u32, &str)>,
    timeout: Duration,
) -> Outcome {
    let Some(client) = CLIENT.as_ref() else {
        return Outcome::Failed {
            reason: "connection_failed",
            no_retry: false,
            detail: "no HTTP client available".into(),
        };
    };
    // Receivers check the timestamp against their own clock, so it is real time, not the universe's.
    let timestamp = chrono::Utc::now().timestamp();
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(USER_AGENT, HeaderValue::from_static(SLACKBOT_UA));
    headers.insert("x-slack-request-timestamp", HeaderValue::from(timestamp));
    if let Ok(v) = HeaderValue::from_str(&sign(secret, timestamp, body.as_bytes())) {
        headers.insert("x-slack-signature", v);
    }
    if let Some((num, reason)) = retry {
        headers.insert("x-slack-retry-num", HeaderValue::from(num));
        if let Ok(v) = HeaderValue::from_str(reason) {
            headers.insert("x-slack-retry-reason", v);
        }
    }
    let sent = client.post(url).headers(headers).body(body).timeout(timeout).send().await;
    let response = match sent {
        Ok(r) => r,
        Err(e) if e.is_timeout() => {
            return Outcome::Failed {
                reason: "http_timeout",
                no_retry: false,
                detail: format!("no answer within {} ms", timeout.as_millis()),
            }
        }
        Err(e) => return Outcome::Failed { reason: "connection_failed", no_retry: false, detail: format!("{e}") },
    };
    let status = response.status();
    let no_retry = response.headers().get("x-slack-no-retry").is_some_and(|v| v.as_bytes() == b"1");
    let body = read_capped(response, timeout).await;
    if status.is_success() {
        return Outcome::Ok { status: status.as_u16(), body };
    }
    let reason = if status.is_redirection() { "too_many_redirects" } else { "http_error" };
    Outcome::Failed { reason, no_retry, detail: format!("the app answered HTTP {}", status.as_u16()) }
}

async fn read_capped(mut response: reqwest::Response, timeout: Duration) -> String {
    let mut out = Vec::new();
    let read = async {
        while let Ok(Some(chunk)) = response.chunk().await {
            let room = MAX_ANSWER.saturating_sub(out.len());
            out.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if out.len() >= MAX_ANSWER {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(timeout, read).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether an answer carries the challenge: as the whole body, as `{"challenge": …}`,
/// or as a `challenge=` form field (the three forms Slack accepts).
pub fn answers_challenge(body: &str, challenge: &str) -> bool {
    let body = body.trim();
    if body == challenge {
        return true;
    }
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        return v.get("challenge").and_then(Value::as_str) == Some(challenge);
    }
    form_urlencoded::parse(body.as_bytes()).any(|(k, v)| k == "challenge" && v == challenge)
}

/// The `url_verification` handshake: POSTs `{token, challenge, type}` (signed) and checks
/// the answer echoes the challenge.
pub async fn verify_request_url(app: &App, url: &str, challenge: &str) -> Result<(), String> {
    let body = json!({"token": app.verification_token, "challenge": challenge, "type": "url_verification"});
    let timeout = Duration::from_millis(app.delivery.http_timeout_ms);
    match post_signed(url, &app.signing_secret, body.to_string(), "application/json", None, timeout).await {
        Outcome::Ok { body, .. } if answers_challenge(&body, challenge) => Ok(()),
        Outcome::Ok { status, .. } => Err(format!(
            "url_verification failed: {url} answered HTTP {status} without the challenge \
             (answer with the challenge as text, as {{\"challenge\": …}} or as a challenge= form field)"
        )),
        Outcome::Failed { detail, .. } => Err(format!("url_verification failed: {url}: {detail}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_vector() {
        // The example of Slack's "Verifying requests from Slack" guide.
        let secret = "8f742231b10e8888abcd99yyyzzz85a5";
        let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        assert_eq!(
            sign(secret, 1_531_420_618, body.as_bytes()),
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        );
        assert_ne!(sign("other", 1_531_420_618, body.as_bytes()), sign(secret, 1_531_420_618, body.as_bytes()));
    }

    #[test]
    fn only_loopback_http_urls() {
        assert_eq!(
            check_request_url("http://127.0.0.1:3000/slack/events").unwrap(),
            "http://127.0.0.1:3000/slack/events"
        );
        assert!(check_request_url("http://127.8.9.10/x").is_ok());
        assert!(check_request_url("http://LOCALHOST:9/x").is_ok());
        assert!(check_request_url("http://[::1]:8080/").is_ok());
        for bad in [
            "http://example.com/x",
            "http://10.0.0.1/x",
            "http://[::2]/",
            "https://127.0.0.1/x",
            "ftp://127.0.0.1/",
            "not a url",
            "http://localhost.evil.com/",
            "http://0.0.0.0/",
        ] {
            assert!(check_request_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn challenge_answers_in_three_forms() {
        assert!(answers_challenge("abc", "abc"));
        assert!(answers_challenge("{\"challenge\":\"abc\"}", "abc"));
        assert!(answers_challenge("challenge=abc", "abc"));
        assert!(!answers_challenge("{\"challenge\":\"abd\"}", "abc"));
        assert!(!answers_challenge("", "abc"));
    }

    #[test]
    fn delivery_settings_are_bounded() {
        assert!(check_delivery(&DeliverySettings::default()).is_ok());
        let too_many = DeliverySettings { retry_delays_ms: vec![1, 2, 3, 4], ..Default::default() };
        assert!(check_delivery(&too_many).is_err());
        let zero = DeliverySettings { http_timeout_ms: 0, ..Default::default() };
        assert!(check_delivery(&zero).is_err());
        assert!(check_signing_secret("ok-secret").is_ok());
        assert!(check_signing_secret("").is_err() && check_signing_secret("a b").is_err());
    }
}
