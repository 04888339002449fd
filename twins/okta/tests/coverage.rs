//! The coverage table against Okta's Management API document (the 5.1.0 spec the
//! Python SDK's models are generated from): every operation the twin claims exists
//! there, the totals add up, and COVERAGE.md is the table as the code has it.
//!
//! Regenerate COVERAGE.md with `DTU_WRITE_COVERAGE=1 cargo test -p twin-okta --test coverage`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_yaml_ng::Value;
use twin_core::Twin;
use twin_okta::api::routes::{self, Cov};
use twin_okta::{OktaTwin, SPEC_OPERATIONS};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `/api/v1/users/{userId}` → `/api/v1/users/{}`.
fn normalize(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') || s.starts_with("${") { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// (METHOD, normalized path) → (operationId, tag) of every spec operation.
fn spec_operations() -> BTreeMap<(String, String), (String, String)> {
    let path = manifest_dir().join("../../../shared/vendor/okta/management.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Value = serde_yaml_ng::from_str(&text).expect("management.yaml parses");
    let mut out = BTreeMap::new();
    let paths = doc.get("paths").and_then(Value::as_mapping).expect("paths");
    for (p, item) in paths {
        let p = p.as_str().expect("path key");
        for m in METHODS {
            if let Some(op) = item.get(m) {
                let id = op.get("operationId").and_then(Value::as_str).unwrap_or("").to_string();
                let tag = op
                    .get("tags")
                    .and_then(Value::as_sequence)
                    .and_then(|t| t.first())
                    .and_then(Value::as_str)
                    .unwrap_or("Other")
                    .to_string();
                out.insert((m.to_ascii_uppercase(), normalize(p)), (id, tag));
            }
        }
    }
    out
}

const NOTES: &str = "## Twin specifics

- **Org URL.** The manifest's `okta.org_url` is the port's base for the `default` universe and
  `{base}/u/{id}` for any other: `/api/v1/authn` and the OAuth endpoints carry no credential to
  route by, so the path names the universe. Links and issuers follow the URL a request used.
- **Credentials.** `Authorization: SSWS <token>`, `SSWS<token>` (the Python SDK drops the space),
  or `Bearer <access token>` from the org authorization server (`okta.*` scopes are enforced:
  403 E0000006). The seeded API token acts as the fixture's admin (`okta.admin`, else the first
  active member of `admins`); it stops working if that user is suspended or deactivated.
- **Admin roles.** An API token acts with its user's admin roles (direct and through groups):
  the seeded admin is a `SUPER_ADMIN`; a `READ_ONLY_ADMIN`'s token reads and gets 403 E0000006
  on writes; group and app targets and custom roles over resource sets narrow what a role
  reaches. Super and org admins assign roles (only a super admin makes super admins). Tokens for other users come from the control
  plane: `POST /_dtu/universes/{id}/okta/api-tokens {\"user\": \"bob@acme.test\"}` answers
  `{\"token\", \"id\", \"userId\"}`; `/api/v1/api-tokens` lists every token's metadata.
  Custom role permissions' `conditions` are stored and shown, not enforced.
- **Profile schemas.** Custom attributes of the user (per user type), group and app user schemas
  are enforced on every profile write (type, required, enum / oneOf, pattern, min/maxLength,
  `unique: UNIQUE_VALIDATED`), each problem a cause of 400 E0000001. Attributes not in a schema
  are still accepted, and base attributes' permissions are not enforced.
- **Seeded users** sign in with `Tw1n-Passw0rd!` (fixture `okta.password` overrides); ten failed
  sign-ins lock a user out (the Default Policy's `lockout.maxAttempts`; fixture `okta.max_attempts`).
- **Policies.** A new org's Default Policy (and Default or Catch-all Rule) of each type, and its
  LegacyIpZone and BlockedIpZone, are seeded. The PASSWORD policy that governs a user (the first
  active one by priority whose `people.groups` condition holds) is enforced wherever a password is
  set: complexity on create and every set; history (`age.historyCount`, counting the current
  password) and `minAgeMinutes` on a user's own change, a reset, and an admin's set with
  `strict=true`; `maxAgeDays` expires a password at sign-in on the universe clock; lockout counts
  failed sign-ins to `lockout.maxAttempts` (0: never). OKTA_SIGN_ON rules decide whether sign-in
  asks for a factor (`actions.signon.requireFactor`); the MFA_ENROLL policy that governs a user
  decides which factors sign-in makes them enrol. Apps are mapped to ACCESS_POLICY and
  PROFILE_ENROLLMENT policies (one of each type per app; unmapped apps follow the default), and
  their `accessPolicy`/`profileEnrollment` links follow; those policies are not evaluated. A
  clone is named `Copy of {name}` (the twin's choice), goes last among its type and copies the
  rules. Other policy types are stored and ordered, not evaluated.
- **Authenticators.** A new org has Email, Password, Okta Verify (push, signed_nonce, totp)
  active and Phone (sms, voice), Security Question and Security Key or Biometric inactive;
  `POST /api/v1/authenticators` adds `google_otp` or `yubikey_token` (each key once). The
  password is never deactivated, nor an authenticator an active MFA_ENROLL policy names with
  `enroll.self` REQUIRED or OPTIONAL (400 E0000001), nor the password or email method, nor the
  last active method of an active authenticator. An Identity Engine enrollment policy's
  authenticators ask sign-in for factors only while the org has them active.
- **Factors.** TOTP codes are real RFC 6238 codes of the enrolment's `sharedSecret`; SMS, call and
  email codes are in the universe state (`GET /_dtu/universes/{id}/state?service=okta`,
  `factors.{id}.secret`), as a phone would have them; push is approved by the twin at once.
- **Authentication API** (`/api/v1/authn`): SUCCESS, LOCKED_OUT, PASSWORD_EXPIRED (links `next`
  and `cancel`, embeds the password policy) and, when the user's OKTA_SIGN_ON rule has
  `actions.signon.requireFactor` and the user has active factors, MFA_REQUIRED → MFA_CHALLENGE
  (SMS, call, email; `next`, `prev`, `resend`, `cancel`) → SUCCESS through
  `/api/v1/authn/factors/{id}/verify`; MFA_ENROLL when the governing MFA_ENROLL policy
  requires a factor the user lacks (Classic `settings.factors`, or `settings.authenticators`
  other than password and email, counted only while active in the org) or the sign-on rule
  requires a factor and the user has none (then every factor the twin supports is offered,
  optionally): `POST /api/v1/authn/factors` enrols (MFA_ENROLL_ACTIVATE with the TOTP
  `sharedSecret`, or a message code in the state; `resend`, `prev`), and
  `/api/v1/authn/factors/{id}/lifecycle/activate` with the code goes on to MFA_ENROLL while a
  required factor is missing, else SUCCESS. A security question enrols at once; a push
  activation is approved at once. Once the required factors are enrolled, factors the enrollment
  policy offers as optional and the user lacks are offered again (MFA_ENROLL) with a `skip` link;
  `/api/v1/authn/skip` ends the transaction in SUCCESS (403 E0000079 while a required factor is
  missing). Not served: remembered devices.
- **Recovery** (`/api/v1/authn/recovery/password` and `/unlock`): `factorType` EMAIL answers
  RECOVERY_CHALLENGE alike for anyone and puts the recovery token in the user's mailbox (the
  state's `session_tokens`, keyed `rtoken:{PASSWORD|UNLOCK}:{token}`); SMS and CALL send a code to
  the user's active factor of that type (`factors.{id}.secret`), verified at
  `/api/v1/authn/recovery/factors/{type}/verify`; a request with an API token and no `factorType`
  (a trusted application) gets the recovery token itself. Tokens from `forgot_password` and
  `reset_password` links, the mailbox or a trusted application redeem at
  `/api/v1/authn/recovery/token` (once, for an hour). Then the recovery question (RECOVERY,
  skipped for a user without one), and PASSWORD_RESET (`/api/v1/authn/credentials/reset_password`,
  the password policy enforced, history and minimum age included) → SUCCESS with a session
  token, or for an unlock SUCCESS with the user unlocked. A user who may not recover gets 403
  E0000034 (password) or E0000032 (unlock, when not locked out); the twin's choice for a user
  without the named phone factor is 400 E0000001.
- **Authorize** is headless: it needs a `sessionToken` from `/api/v1/authn` (else
  `error=login_required`), and the user must be assigned to the app.
- **JWTs** are RS256 with `kid`, from RSA-2048 keys shipped with the crate (test data).
  The org server's access tokens are opaque to clients; custom servers' are JWTs for their
  audience (`api://default` for `default`). Tokens expire on the universe clock.
- **Custom authorization servers** sign with their own key from a pool of six shipped keys;
  `keyRotate` moves to the next (wrapping round) and the previous key stays published. The
  seeded `default` server grants custom scopes it does not declare (so fixtures need not
  declare them); servers created through the API refuse undeclared scopes (`invalid_scope`).
  A request no policy rule allows gets `400 access_denied` (Policy evaluation failed…).
- **Profile mappings.** Every app has one mapping from the Okta user profile (the default user
  type) to its app user profile, with an id derived from the app's; its property expressions
  start empty. An update adds, replaces or (with `null`) removes property mappings whose target
  is an attribute of the app user schema; the expressions are stored, not applied to app user
  profiles, and no app → Okta mappings exist.
- **Refresh tokens** issued by the token endpoints are listed by user and client, by app and by
  custom authorization server and client, with ids `oar…` derived from the token (the token
  itself is never shown); only live ones are listed. Revoking one (or all) makes it fail at
  `/v1/token` (`invalid_grant`) and introspect inactive. End users' consent grants are
  recorded at `/authorize` on a custom server when the app's `consent_method` is `REQUIRED` and
  a requested scope's `consent` is `REQUIRED` (the headless authorize takes the session token as
  the consent, once per user, client and scope); revoking them leaves issued tokens alone.
- **Hooks** reach loopback receivers only (127.0.0.0/8, ::1, `localhost`); any other URI is
  refused at creation (E0000001). Event hooks deliver once verified and active (at most 50
  events a POST), retry once after a failure, and drop deliveries past 512 in flight. Hook management needs an API token
  (OAuth tokens would need `okta.eventHooks.manage`/`okta.inlineHooks.manage`, which the org
  server does not grant).
- **System Log** listings without `until` are polling requests and always have a `next` link, as
  at Okta: iterate with `until` to reach an end.
- **SDK quirks observed** (real SDK behaviour, not the twin's): okta 3.4.6 serializes
  `settings.oauthClient.jwks.keys` as `[null]` and cannot send a factor `passCode` (its request
  models lack the field); it types `expire_password_with_temp_password` as a User. The Node SDK
  caches single-object GETs by `_links.self.href` (so reads after out-of-band changes are stale).
  okta 3.4.6 types a DYNAMIC zone's `asns` and `locations` as objects where Okta sends arrays, so
  it cannot read a DYNAMIC zone that has them (the raw API can).
  okta 3.4.6 types a schema attribute's `unique` as a boolean (Okta sends `\"UNIQUE_VALIDATED\"`),
  so it cannot read a schema holding a unique attribute; @okta/okta-sdk-nodejs 8.1.0 serializes
  an attribute's `enum` of strings as objects (`[{\"0\":\"S\"}]`), which the twin refuses as Okta does.
  okta 3.4.6 types a custom role permission's `conditions` as objects of objects where Okta
  sends lists of attributes, so conditions are set and read over HTTP.
  okta 3.4.6 types a policy mapping request's `resourceType` as `ACCESS_POLICY` only where the
  document says `APP`, so mappings are made over HTTP (the SDK reads them).

";

fn markdown(spec: &BTreeMap<(String, String), (String, String)>) -> String {
    let table = routes::all();
    let coverage = OktaTwin::new().coverage();
    let mut md = String::new();
    md.push_str("# Okta twin: coverage\n\n");
    md.push_str("Generated from the route table in `src/api/` and checked against Okta's Management API\n");
    md.push_str("document (`shared/vendor/okta/management.yaml`, v5.1.0, the one the `okta` Python SDK's\n");
    md.push_str("models come from) by `tests/coverage.rs`. Regenerate with\n");
    md.push_str("`DTU_WRITE_COVERAGE=1 cargo test -p twin-okta --test coverage`.\n\n");
    md.push_str(&format!(
        "**{} implemented, {} partial, {} missing** of {} Management API operations; plus {} operations\n",
        coverage.implemented,
        coverage.partial,
        coverage.missing,
        SPEC_OPERATIONS,
        table.iter().filter(|r| r.coverage == Cov::Extra).count()
    ));
    md.push_str("outside that document (Authentication API, OAuth 2.0 / OpenID Connect).\n\n");
    md.push_str(NOTES);
    md.push_str("## Management API operations served\n\n");
    md.push_str("| Method | Path | operationId | Journal operation | Status | Gaps |\n|---|---|---|---|---|---|\n");
    let mut rows: Vec<_> = table.iter().filter(|r| r.coverage != Cov::Extra).collect();
    rows.sort_by_key(|r| (r.path, r.method));
    for r in rows {
        let (id, _) = spec.get(&(r.method.to_string(), normalize(r.path))).cloned().unwrap_or_default();
        let (status, gaps) = match r.coverage {
            Cov::Implemented => ("implemented", ""),
            Cov::Partial(g) => ("partial", g),
            Cov::Extra => unreachable!(),
        };
        md.push_str(&format!("| {} | `{}` | {} | `{}` | {} | {} |\n", r.method, r.path, id, r.operation, status, gaps));
    }
    md.push_str("\n## Beyond the Management API document\n\n");
    md.push_str("| Method | Path | Journal operation |\n|---|---|---|\n");
    let mut extras: Vec<_> = table.iter().filter(|r| r.coverage == Cov::Extra).collect();
    extras.sort_by_key(|r| (r.path, r.method));
    for r in extras {
        md.push_str(&format!("| {} | `{}` | `{}` |\n", r.method, r.path, r.operation));
    }
    md.push_str("\n## Missing, by API tag\n\n");
    let served: BTreeSet<(String, String)> = table.iter().map(|r| (r.method.to_string(), normalize(r.path))).collect();
    let mut missing: BTreeMap<&str, usize> = BTreeMap::new();
    for (key, (_, tag)) in spec {
        if !served.contains(key) {
            *missing.entry(tag.as_str()).or_default() += 1;
        }
    }
    md.push_str("| Tag | Missing operations |\n|---|---|\n");
    for (tag, n) in missing {
        md.push_str(&format!("| {tag} | {n} |\n"));
    }
    md
}

#[test]
fn the_table_matches_the_vendor_document_and_coverage_md() {
    let spec = spec_operations();
    assert_eq!(spec.len(), SPEC_OPERATIONS, "SPEC_OPERATIONS is out of date");
    let table = routes::all();
    for r in &table {
        let key = (r.method.to_string(), normalize(r.path));
        match r.coverage {
            Cov::Implemented | Cov::Partial(_) => {
                assert!(spec.contains_key(&key), "{} {} is not a Management API operation", r.method, r.path)
            }
            Cov::Extra => assert!(!spec.contains_key(&key), "{} {} is in the document: not Extra", r.method, r.path),
        }
    }
    let coverage = OktaTwin::new().coverage();
    let claimed = table.iter().filter(|r| r.coverage != Cov::Extra).count();
    assert_eq!(coverage.implemented + coverage.partial, claimed);
    assert_eq!(coverage.implemented + coverage.partial + coverage.missing, SPEC_OPERATIONS);

    let expected = markdown(&spec);
    let path = manifest_dir().join("COVERAGE.md");
    if std::env::var_os("DTU_WRITE_COVERAGE").is_some() {
        std::fs::write(&path, &expected).expect("write COVERAGE.md");
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "COVERAGE.md is out of date; regenerate with DTU_WRITE_COVERAGE=1 cargo test -p twin-okta --test coverage"
    );
}
