//! `/api/v1/zones` (network zones: IP zones with gateways and proxies as CIDRs or
//! ranges, DYNAMIC zones by location and ASN) and `/api/v1/trustedOrigins` (origins
//! trusted for CORS, redirects and iframe embedding).

use std::net::IpAddr;

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use super::routes::{route, Cov, Route};
use super::Call;
use crate::errors::OktaError;
use crate::ids::okta_id;
use crate::model::{Event, OktaState, Target};
use crate::security::{NetworkZone, TrustedOrigin};
use crate::wire::{self, body_object, link_headers, paginate, ts, Order};

pub const ROUTES: &[Route] = &[
    route("GET", "/api/v1/zones", "okta.zones.list", Cov::Partial("`filter` on id and usage only")),
    route("POST", "/api/v1/zones", "okta.zones.create", Cov::Implemented),
    route("GET", "/api/v1/zones/{zoneId}", "okta.zones.get", Cov::Implemented),
    route("PUT", "/api/v1/zones/{zoneId}", "okta.zones.replace", Cov::Implemented),
    route("DELETE", "/api/v1/zones/{zoneId}", "okta.zones.delete", Cov::Implemented),
    route("POST", "/api/v1/zones/{zoneId}/lifecycle/activate", "okta.zones.activate", Cov::Implemented),
    route("POST", "/api/v1/zones/{zoneId}/lifecycle/deactivate", "okta.zones.deactivate", Cov::Implemented),
    route(
        "GET",
        "/api/v1/trustedOrigins",
        "okta.trusted_origins.list",
        Cov::Partial("`filter` on name, origin and status only"),
    ),
    route("POST", "/api/v1/trustedOrigins", "okta.trusted_origins.create", Cov::Implemented),
    route("GET", "/api/v1/trustedOrigins/{trustedOriginId}", "okta.trusted_origins.get", Cov::Implemented),
    route("PUT", "/api/v1/trustedOrigins/{trustedOriginId}", "okta.trusted_origins.replace", Cov::Implemented),
    route("DELETE", "/api/v1/trustedOrigins/{trustedOriginId}", "okta.trusted_origins.delete", Cov::Implemented),
    route(
        "POST",
        "/api/v1/trustedOrigins/{trustedOriginId}/lifecycle/activate",
        "okta.trusted_origins.activate",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/trustedOrigins/{trustedOriginId}/lifecycle/deactivate",
        "okta.trusted_origins.deactivate",
        Cov::Implemented,
    ),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/zones", get(list_zones).post(create_zone))
        .route("/api/v1/zones/{zoneId}", get(get_zone).put(replace_zone).delete(delete_zone))
        .route("/api/v1/zones/{zoneId}/lifecycle/{op}", post(zone_lifecycle))
        .route("/api/v1/trustedOrigins", get(list_origins).post(create_origin))
        .route("/api/v1/trustedOrigins/{trustedOriginId}", get(get_origin).put(replace_origin).delete(delete_origin))
        .route("/api/v1/trustedOrigins/{trustedOriginId}/lifecycle/{op}", post(origin_lifecycle))
}

/// Zones and trusted origins one org may hold.
const MAX_ZONES: usize = 500;
const MAX_ORIGINS: usize = 1000;
/// Entries of a DYNAMIC zone's `locations` and `asns`.
const MAX_DYNAMIC_ENTRIES: usize = 75;

/// Addresses one IP zone may list, as the vendor document gives them: 150 for an
/// admin's zone, 1000 for a blocklist, 5000 for the org's own LegacyIpZone.
fn max_addresses(system: bool, usage: &str) -> usize {
    if system {
        5000
    } else if usage == "BLOCKLIST" {
        1000
    } else {
        150
    }
}

fn new_status(op: &str, path: &str) -> Result<&'static str, OktaError> {
    match op {
        "activate" => Ok("ACTIVE"),
        "deactivate" => Ok("INACTIVE"),
        _ => Err(OktaError::not_found(path, "Resource")),
    }
}

// --- network zones -------------------------------------------------------------

pub fn render_zone(z: &NetworkZone, base: &str) -> Value {
    let path = format!("{base}/api/v1/zones/{}", z.id);
    let mut out = json!({
        "type": z.kind,
        "id": z.id,
        "name": z.name,
        "status": z.status,
        "usage": z.usage,
        "created": ts(z.created),
        "lastUpdated": ts(z.last_updated),
        "system": z.system,
        "_links": {
            "self": {"href": path, "hints": {"allow": ["GET", "PUT", "DELETE"]}},
            "deactivate": {"href": format!("{path}/lifecycle/deactivate"), "hints": {"allow": ["POST"]}}
        }
    });
    if z.kind == "IP" {
        out["gateways"] = z.gateways.clone();
        out["proxies"] = z.proxies.clone();
    } else {
        // What a DYNAMIC zone was not given is left out.
        for (key, value) in [("locations", &z.locations), ("asns", &z.asns), ("proxyType", &z.proxy_type)] {
            if !value.is_null() {
                out[key] = value.clone();
            }
        }
    }
    out
}

fn zone_target(z: &NetworkZone) -> Target {
    Target {
        id: z.id.clone(),
        kind: "NetworkZone".into(),
        alternate_id: "unknown".into(),
        display_name: z.name.clone(),
    }
}

/// Is `value` a CIDR block (`10.0.0.0/8`, `2001:db8::/32`)?
fn is_cidr(value: &str) -> bool {
    let Some((ip, bits)) = value.split_once('/') else { return false };
    let Ok(ip) = ip.parse::<IpAddr>() else { return false };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    bits.parse::<u8>().is_ok_and(|b| b <= max)
}

/// Is `value` an address range (`10.0.0.1-10.0.0.9`, low to high, one family) or one address?
fn is_range(value: &str) -> bool {
    match value.split_once('-') {
        None => value.parse::<IpAddr>().is_ok(),
        Some((lo, hi)) => match (lo.trim().parse::<IpAddr>(), hi.trim().parse::<IpAddr>()) {
            (Ok(IpAddr::V4(a)), Ok(IpAddr::V4(b))) => a <= b,
            (Ok(IpAddr::V6(a)), Ok(IpAddr::V6(b))) => a <= b,
            _ => false,
        },
    }
}

/// The gateways or proxies of an IP zone, checked: each `{type: CIDR|RANGE, value}`.
fn addresses(body: &Map<String, Value>, field: &str, max: usize) -> Result<Value, OktaError> {
    let list = match body.get(field) {
        None | Some(Value::Null) => return Ok(json!([])),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(OktaError::validation(field, format!("{field}: Does not match required type: array"))),
    };
    if list.len() > max {
        return Err(OktaError::validation(field, format!("{field}: At most {max} entries are allowed")));
    }
    let mut out = Vec::with_capacity(list.len());
    for entry in list {
        let kind = entry.get("type").and_then(Value::as_str).unwrap_or("");
        let value = entry.get("value").and_then(Value::as_str).unwrap_or("").trim();
        let valid = match kind {
            "CIDR" => is_cidr(value),
            "RANGE" => is_range(value),
            _ => {
                return Err(OktaError::validation(
                    field,
                    format!("{field}: Invalid address type '{kind}': must be CIDR or RANGE"),
                ))
            }
        };
        if !valid {
            return Err(OktaError::validation(field, format!("{field}: Invalid {kind} value: {value}")));
        }
        out.push(json!({"type": kind, "value": value}));
    }
    Ok(Value::Array(out))
}

/// A zone built from a create or replace body (id, dates and system left to the caller).
fn zone_input(
    s: &OktaState,
    body: &Map<String, Value>,
    except: Option<&str>,
    system: bool,
) -> Result<NetworkZone, OktaError> {
    let name = body.get("name").and_then(Value::as_str).map(str::trim).unwrap_or("").to_string();
    if name.is_empty() {
        return Err(OktaError::validation("name", "name: The field cannot be left blank"));
    }
    if name.chars().count() > 128 {
        return Err(OktaError::validation("name", "name: The field is too long (maximum 128 characters)"));
    }
    if s.zones.values().any(|z| Some(z.id.as_str()) != except && z.name.eq_ignore_ascii_case(&name)) {
        return Err(OktaError::validation("name", "name: A network zone with this name already exists"));
    }
    let kind = body.get("type").and_then(Value::as_str).unwrap_or("").to_string();
    let usage = body.get("usage").and_then(Value::as_str).unwrap_or("POLICY").to_string();
    if !matches!(usage.as_str(), "POLICY" | "BLOCKLIST") {
        return Err(OktaError::validation("usage", format!("usage: '{usage}' is not a valid value")));
    }
    let status = body.get("status").and_then(Value::as_str).unwrap_or("ACTIVE").to_string();
    if !matches!(status.as_str(), "ACTIVE" | "INACTIVE") {
        return Err(OktaError::validation("status", format!("status: '{status}' is not a valid value")));
    }
    let list = |field: &str| -> Result<Value, OktaError> {
        match body.get(field) {
            None | Some(Value::Null) => Ok(Value::Null),
            Some(v @ Value::Array(a)) if a.len() <= MAX_DYNAMIC_ENTRIES => Ok(v.clone()),
            Some(_) => Err(OktaError::validation(field, format!("{field}: Does not match required type: array"))),
        }
    };
    let (gateways, proxies, locations, asns, proxy_type) = match kind.as_str() {
        "IP" => {
            let max = max_addresses(system, &usage);
            let gateways = addresses(body, "gateways", max)?;
            let proxies = addresses(body, "proxies", max)?;
            if usage == "BLOCKLIST" && proxies.as_array().is_some_and(|p| !p.is_empty()) {
                return Err(OktaError::validation("proxies", "proxies: A blocklist zone cannot have proxies"));
            }
            (gateways, proxies, Value::Null, Value::Null, Value::Null)
        }
        "DYNAMIC" => {
            let locations = list("locations")?;
            for l in locations.as_array().into_iter().flatten() {
                let country = l.get("country").and_then(Value::as_str).unwrap_or("");
                if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(OktaError::validation(
                        "locations",
                        format!("locations: Invalid country code: {country}"),
                    ));
                }
            }
            let asns = list("asns")?;
            let proxy_type = match body.get("proxyType") {
                None | Some(Value::Null) => Value::Null,
                Some(Value::String(p))
                    if matches!(p.as_str(), "Any" | "Tor" | "TorAnonymizer" | "NotTorAnonymizer" | "") =>
                {
                    json!(p)
                }
                Some(_) => {
                    return Err(OktaError::validation("proxyType", "proxyType: must be Any, Tor or NotTorAnonymizer"))
                }
            };
            (Value::Null, Value::Null, locations, asns, proxy_type)
        }
        "" => return Err(OktaError::validation("type", "type: The field cannot be left blank")),
        other => return Err(OktaError::validation("type", format!("type: '{other}' is not a valid zone type"))),
    };
    let now = chrono::DateTime::<chrono::Utc>::MIN_UTC;
    Ok(NetworkZone {
        id: String::new(),
        name,
        kind,
        status,
        usage,
        system: false,
        created: now,
        last_updated: now,
        gateways,
        proxies,
        locations,
        asns,
        proxy_type,
    })
}

fn zone_of(s: &OktaState, id: &str) -> Result<NetworkZone, OktaError> {
    s.zones.get(id).cloned().ok_or_else(|| OktaError::not_found(id, "Zone"))
}

/// The policy rules that name a zone in their network condition.
fn zone_in_use(s: &OktaState, zone_id: &str) -> bool {
    s.policy_rules.values().any(|r| {
        ["include", "exclude"].iter().any(|side| {
            r.conditions
                .pointer(&format!("/network/{side}"))
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|z| z.as_str() == Some(zone_id)))
        })
    })
}

async fn list_zones(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.networkZones.read")?;
    // `limit` defaults to -1 (every zone), as the document has it.
    let limit = call.query.limit(MAX_ZONES, MAX_ZONES)?;
    let after = call.query.after()?;
    // `filter=id eq "…"` or `usage eq "BLOCKLIST"`, joined with `or` / `and` (as Okta allows).
    let filter = match call.query.text("filter") {
        None => None,
        Some(f) => Some(
            crate::wire::search::compile(
                f,
                &crate::wire::search::Rules {
                    attributes: Some(&["id", "usage"]),
                    range_attributes: &[],
                    eq_only: true,
                    contains_attributes: None,
                    case_insensitive: false,
                },
            )
            .map_err(OktaError::search)?,
        ),
    };
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        let keyed: Vec<(String, Value)> = s
            .zones
            .values()
            .map(|z| (z.id.clone(), render_zone(z, &base)))
            .filter(|(_, doc)| filter.as_ref().is_none_or(|f| crate::wire::search::matches(f, doc, false)))
            .collect();
        paginate(keyed, after, limit, Order::KeyAscending)
    })??;
    Ok(wire::page(items, link_headers(&base, "/api/v1/zones", &call.query, next.as_deref())))
}

async fn create_zone(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.networkZones.manage")?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        if s.zones.len() >= MAX_ZONES {
            return Err(OktaError::validation("zone", "zone: The maximum number of network zones has been reached"));
        }
        let mut zone = zone_input(s, &body, None, false)?;
        zone.id = okta_id(ids, "nzo");
        zone.created = now;
        zone.last_updated = now;
        s.zones.insert(zone.id.clone(), zone.clone());
        caller.log(s, ids, now, Event::new("zone.create", "Create network zone", vec![zone_target(&zone)]));
        Ok(render_zone(&zone, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn get_zone(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.networkZones.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| zone_of(s, &id).map(|z| render_zone(&z, &base)))??;
    Ok(wire::ok(&out))
}

async fn replace_zone(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.networkZones.manage")?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let old = zone_of(s, &id)?;
        let mut zone = zone_input(s, &body, Some(&id), old.system)?;
        // An admin may rename a system zone and change its addresses, not what it is.
        if old.system && (zone.kind != old.kind || zone.usage != old.usage) {
            return Err(OktaError::validation("zone", "zone: The type and usage of a system zone cannot be changed"));
        }
        zone.id = old.id.clone();
        zone.system = old.system;
        zone.created = old.created;
        zone.last_updated = now;
        s.zones.insert(id.clone(), zone.clone());
        caller.log(s, ids, now, Event::new("zone.update", "Update network zone", vec![zone_target(&zone)]));
        Ok(render_zone(&zone, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn delete_zone(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.networkZones.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let zone = zone_of(s, &id)?;
        if zone.system {
            return Err(OktaError::validation("zone", "zone: A system network zone cannot be deleted"));
        }
        if zone_in_use(s, &id) {
            return Err(OktaError::validation("zone", "zone: The network zone is used by a policy rule"));
        }
        s.zones.remove(&id);
        caller.log(s, ids, now, Event::new("zone.delete", "Delete network zone", vec![zone_target(&zone)]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn zone_lifecycle(Path((id, op)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.networkZones.manage")?;
    let status = new_status(&op, &call.path)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let mut zone = zone_of(s, &id)?;
        if zone.status != status {
            zone.status = status.into();
            zone.last_updated = now;
            s.zones.insert(id.clone(), zone.clone());
        }
        let (event, message) = if status == "ACTIVE" {
            ("zone.activate", "Activate network zone")
        } else {
            ("zone.deactivate", "Deactivate network zone")
        };
        caller.log(s, ids, now, Event::new(event, message, vec![zone_target(&zone)]));
        Ok(render_zone(&zone, &base))
    })?;
    Ok(wire::ok(&out))
}

// --- trusted origins -----------------------------------------------------------

pub fn render_origin(o: &TrustedOrigin, base: &str) -> Value {
    let path = format!("{base}/api/v1/trustedOrigins/{}", o.id);
    let (op, name) = if o.status == "ACTIVE" { ("deactivate", "deactivate") } else { ("activate", "activate") };
    json!({
        "id": o.id,
        "name": o.name,
        "origin": o.origin,
        "scopes": o.scopes,
        "status": o.status,
        "created": ts(o.created),
        "createdBy": o.created_by,
        "lastUpdated": ts(o.last_updated),
        "lastUpdatedBy": o.last_updated_by,
        "_links": {
            "self": {"href": path, "hints": {"allow": ["GET", "PUT", "DELETE"]}},
            name: {"href": format!("{path}/lifecycle/{op}"), "hints": {"allow": ["POST"]}}
        }
    })
}

fn origin_target(o: &TrustedOrigin) -> Target {
    Target {
        id: o.id.clone(),
        kind: "TrustedOrigin".into(),
        alternate_id: o.origin.clone(),
        display_name: o.name.clone(),
    }
}

/// Is `origin` a scheme, a host and maybe a port, with no path, query or fragment?
fn valid_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else { return false };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || rest.starts_with('[') => (h, Some(p)),
        _ => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host.chars().all(|c| c.is_ascii_alphanumeric() || "-.*[]:".contains(c))
        && !host.starts_with('.')
        && !host.ends_with('.');
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    scheme_ok && host_ok && port_ok
}

fn origin_input(
    s: &OktaState,
    body: &Map<String, Value>,
    except: Option<&str>,
) -> Result<(String, String, Value), OktaError> {
    let name = body.get("name").and_then(Value::as_str).map(str::trim).unwrap_or("").to_string();
    if name.is_empty() {
        return Err(OktaError::validation("name", "name: The field cannot be left blank"));
    }
    if name.chars().count() > 255 {
        return Err(OktaError::validation("name", "name: The field is too long (maximum 255 characters)"));
    }
    let origin =
        body.get("origin").and_then(Value::as_str).map(str::trim).unwrap_or("").trim_end_matches('/').to_string();
    if origin.is_empty() {
        return Err(OktaError::validation("origin", "origin: The field cannot be left blank"));
    }
    if !valid_origin(&origin) {
        return Err(OktaError::validation("origin", "origin: The origin URL is invalid"));
    }
    if s.trusted_origins.values().any(|o| Some(o.id.as_str()) != except && o.origin.eq_ignore_ascii_case(&origin)) {
        return Err(OktaError::validation(
            "origin",
            "origin: An object with this field already exists in the current organization",
        ));
    }
    if s.trusted_origins.values().any(|o| Some(o.id.as_str()) != except && o.name.eq_ignore_ascii_case(&name)) {
        return Err(OktaError::validation(
            "name",
            "name: An object with this field already exists in the current organization",
        ));
    }
    let scopes = match body.get("scopes") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        None | Some(Value::Null) | Some(Value::Array(_)) => {
            return Err(OktaError::validation("scopes", "scopes: The field cannot be left blank"))
        }
        Some(_) => return Err(OktaError::validation("scopes", "scopes: Does not match required type: array")),
    };
    let mut out = Vec::new();
    for scope in scopes {
        let kind = scope.get("type").and_then(Value::as_str).unwrap_or("");
        if !matches!(kind, "CORS" | "REDIRECT" | "IFRAME_EMBED") {
            return Err(OktaError::validation("scopes", format!("scopes: '{kind}' is not a valid scope type")));
        }
        if out.iter().any(|o: &Value| o["type"] == kind) {
            return Err(OktaError::validation("scopes", format!("scopes: The scope {kind} is given twice")));
        }
        let mut entry = json!({"type": kind});
        if let Some(apps) = scope.get("allowedOktaApps").filter(|v| v.is_array()) {
            entry["allowedOktaApps"] = apps.clone();
        }
        out.push(entry);
    }
    Ok((name, origin, Value::Array(out)))
}

fn origin_of(s: &OktaState, id: &str) -> Result<TrustedOrigin, OktaError> {
    s.trusted_origins.get(id).cloned().ok_or_else(|| OktaError::not_found(id, "TrustedOrigin"))
}

async fn list_origins(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.trustedOrigins.read")?;
    // `limit` defaults to -1 (every origin), as the document has it.
    let limit = call.query.limit(MAX_ORIGINS, MAX_ORIGINS)?;
    let after = call.query.after()?;
    let keyword = call.query.text("q").map(str::to_lowercase);
    let filter = match call.query.text("filter") {
        None => None,
        Some(f) => Some(
            crate::wire::search::compile(
                f,
                &crate::wire::search::Rules {
                    attributes: Some(&["name", "origin", "status"]),
                    range_attributes: &[],
                    eq_only: true,
                    contains_attributes: None,
                    case_insensitive: false,
                },
            )
            .map_err(OktaError::search)?,
        ),
    };
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        let keyed: Vec<(String, Value)> = s
            .trusted_origins
            .values()
            .filter(|o| {
                keyword.as_ref().is_none_or(|k| {
                    o.name.to_lowercase().contains(k.as_str()) || o.origin.to_lowercase().contains(k.as_str())
                })
            })
            .map(|o| (o.id.clone(), render_origin(o, &base)))
            .filter(|(_, doc)| filter.as_ref().is_none_or(|f| crate::wire::search::matches(f, doc, false)))
            .collect();
        paginate(keyed, after, limit, Order::KeyAscending)
    })??;
    Ok(wire::page(items, link_headers(&base, "/api/v1/trustedOrigins", &call.query, next.as_deref())))
}

async fn create_origin(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.trustedOrigins.manage")?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        if s.trusted_origins.len() >= MAX_ORIGINS {
            return Err(OktaError::validation(
                "trustedOrigin",
                "The maximum number of trusted origins has been reached",
            ));
        }
        let (name, origin, scopes) = origin_input(s, &body, None)?;
        let id = okta_id(ids, "tos");
        let record = TrustedOrigin {
            id: id.clone(),
            name,
            origin,
            scopes,
            status: "ACTIVE".into(),
            created: now,
            created_by: caller.actor.id.clone(),
            last_updated: now,
            last_updated_by: caller.actor.id.clone(),
        };
        s.trusted_origins.insert(id, record.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new("security.trusted_origin.create", "Create trusted origin", vec![origin_target(&record)]),
        );
        Ok(render_origin(&record, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn get_origin(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.trustedOrigins.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| origin_of(s, &id).map(|o| render_origin(&o, &base)))??;
    Ok(wire::ok(&out))
}

async fn replace_origin(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.trustedOrigins.manage")?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let mut record = origin_of(s, &id)?;
        let (name, origin, scopes) = origin_input(s, &body, Some(&id))?;
        record.name = name;
        record.origin = origin;
        record.scopes = scopes;
        record.last_updated = now;
        record.last_updated_by = caller.actor.id.clone();
        s.trusted_origins.insert(id.clone(), record.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new("security.trusted_origin.update", "Update trusted origin", vec![origin_target(&record)]),
        );
        Ok(render_origin(&record, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn delete_origin(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.trustedOrigins.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let record = origin_of(s, &id)?;
        s.trusted_origins.remove(&id);
        caller.log(
            s,
            ids,
            now,
            Event::new("security.trusted_origin.delete", "Delete trusted origin", vec![origin_target(&record)]),
        );
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn origin_lifecycle(Path((id, op)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.trustedOrigins.manage")?;
    let status = new_status(&op, &call.path)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let mut record = origin_of(s, &id)?;
        if record.status != status {
            record.status = status.into();
            record.last_updated = now;
            record.last_updated_by = caller.actor.id.clone();
            s.trusted_origins.insert(id.clone(), record.clone());
        }
        let (event, message) = if status == "ACTIVE" {
            ("security.trusted_origin.activate", "Activate trusted origin")
        } else {
            ("security.trusted_origin.deactivate", "Deactivate trusted origin")
        };
        caller.log(s, ids, now, Event::new(event, message, vec![origin_target(&record)]));
        Ok(render_origin(&record, &base))
    })?;
    Ok(wire::ok(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        assert!(is_cidr("10.0.0.0/8") && is_cidr("2001:db8::/32"));
        assert!(!is_cidr("10.0.0.0/33") && !is_cidr("10.0.0/8") && !is_cidr("10.0.0.0"));
        assert!(is_range("10.0.0.1-10.0.0.9") && is_range("10.0.0.1"));
        assert!(!is_range("10.0.0.9-10.0.0.1") && !is_range("10.0.0.1-::1") && !is_range("nope"));
    }

    #[test]
    fn origins_are_scheme_host_port() {
        for good in ["https://example.com", "http://localhost:8080", "https://*.example.com", "myapp://callback"] {
            assert!(valid_origin(good), "{good}");
        }
        for bad in ["example.com", "https://", "https://a.com/path", "https://a.com:0", "https://a.com?x=1", "ftp//x"] {
            assert!(!valid_origin(bad), "{bad}");
        }
    }
}
