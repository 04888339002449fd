//! A person's own things: dnd.* (snoozes), reminders.* (fired by Slackbot on the universe
//! clock), stars.*.

use chrono::{Datelike, Duration, NaiveTime, TimeZone, Utc};
use serde_json::{json, Value};

use super::{ok, Call, Reply};
use crate::errors::SlackError;
use crate::model::{parse_ts, Access, Recurrence, Reminder, SlackState, Snooze, Star, SLACKBOT, WEEKDAYS};
use crate::paging::{metadata, page_request, paginate, DEFAULT_LIMITS};
use crate::views::{file_json, message_json, permalink};

/// Longest snooze (minutes): a day, as Slack's clients offer.
const MAX_SNOOZE_MINUTES: i64 = 24 * 60;
/// How far ahead a reminder may be set (five years).
const MAX_REMINDER_AHEAD_S: i64 = 5 * 365 * 86_400;
/// A numeric `time` up to this is seconds from now; above it, a Unix timestamp.
const RELATIVE_TIME_MAX_S: i64 = 86_400;

// --- dnd -------------------------------------------------------------------------

/// The snooze of `user` still running at `now`: its end.
fn snooze_end(s: &SlackState, user: &str, now: i64) -> Option<i64> {
    s.dnd.get(user).map(|z| z.end).filter(|end| *end > now)
}

fn dnd_of(s: &SlackState, user: &str, me: bool, now: i64) -> Value {
    // No Do Not Disturb schedule is set in the twin's workspace; snoozes are per person.
    let mut v = json!({"dnd_enabled": false, "next_dnd_start_ts": 1, "next_dnd_end_ts": 1});
    if me {
        let end = snooze_end(s, user, now);
        v["snooze_enabled"] = json!(end.is_some());
        if let Some(end) = end {
            v["snooze_endtime"] = json!(end);
            v["snooze_remaining"] = json!(end - now);
            v["snooze_is_indefinite"] = json!(false);
        }
    }
    v
}

pub fn dnd_info(call: &Call<'_>) -> Result<Reply, SlackError> {
    let user = call.params.nonempty("user").unwrap_or_else(|| call.actor.user.clone());
    let now = call.now_s();
    call.read(|s| {
        s.user(user.trim())?;
        Ok(ok(dnd_of(s, user.trim(), user.trim() == call.actor.user, now)))
    })
}

pub fn dnd_team_info(call: &Call<'_>) -> Result<Reply, SlackError> {
    let users = call.params.list("users");
    if users.is_empty() {
        return Err(SlackError::Code("no_users_provided"));
    }
    let now = call.now_s();
    call.read(|s| {
        let mut map = serde_json::Map::new();
        for u in users.iter().filter(|u| s.users.contains_key(u.as_str())) {
            map.insert(u.clone(), dnd_of(s, u, false, now));
        }
        Ok(ok(json!({ "users": map })))
    })
}

pub fn dnd_set_snooze(call: &Call<'_>) -> Result<Reply, SlackError> {
    let minutes = call.params.int("num_minutes").map_err(|_| SlackError::Code("missing_duration"))?;
    let minutes = minutes.filter(|m| *m > 0).ok_or(SlackError::Code("missing_duration"))?;
    if minutes > MAX_SNOOZE_MINUTES {
        return Err(SlackError::Code("too_long"));
    }
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, _| {
        let end = now + minutes * 60;
        s.dnd.insert(me.clone(), Snooze { user: me.clone(), end });
        Ok(ok(json!({
            "snooze_enabled": true, "snooze_endtime": end, "snooze_remaining": end - now,
            "snooze_is_indefinite": false,
        })))
    })
}

pub fn dnd_end_snooze(call: &Call<'_>) -> Result<Reply, SlackError> {
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, _| {
        if snooze_end(s, &me, now).is_none() {
            return Err(SlackError::Code("snooze_end_failed"));
        }
        s.dnd.remove(&me);
        Ok(ok(dnd_of(s, &me, true, now)))
    })
}

pub fn dnd_end_dnd(call: &Call<'_>) -> Result<Reply, SlackError> {
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, _| {
        if snooze_end(s, &me, now).is_none() {
            return Err(SlackError::Code("not_in_dnd"));
        }
        s.dnd.remove(&me);
        Ok(ok(json!({})))
    })
}

// --- reminders ---------------------------------------------------------------------

/// A `time` as Slack reads it: a Unix timestamp, seconds from now (up to a day), or
/// words: `in 15 minutes`, `tomorrow`, `at 9:30`, `every day`, `every Thursday`.
/// Returns the first time and the recurrence the words name.
pub fn parse_time(text: &str, now: i64) -> Option<(i64, Option<Recurrence>)> {
    let t = text.trim().to_lowercase();
    if let Ok(n) = t.parse::<f64>() {
        if !n.is_finite() || n < 0.0 {
            return None;
        }
        let n = n as i64;
        return Some((if n <= RELATIVE_TIME_MAX_S { now + n } else { n }, None));
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    let unit = |w: &str| -> Option<i64> {
        match w.trim_end_matches('s') {
            "second" | "sec" => Some(1),
            "minute" | "min" => Some(60),
            "hour" | "hr" => Some(3_600),
            "day" => Some(86_400),
            "week" => Some(7 * 86_400),
            _ => None,
        }
    };
    let today = Utc.timestamp_opt(now, 0).single()?;
    let at_nine = |days: i64| -> Option<i64> {
        let date = (today + Duration::days(days)).date_naive();
        Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::from_hms_opt(9, 0, 0)?)).timestamp())
    };
    match words.as_slice() {
        ["in", n, u] => {
            let n: i64 = n.parse().ok().or_else(|| (*n == "a" || *n == "an").then_some(1))?;
            Some((now.checked_add(n.checked_mul(unit(u)?)?)?, None))
        }
        ["tomorrow"] => Some((at_nine(1)?, None)),
        ["at", clock] | ["today", "at", clock] => {
            let time = NaiveTime::parse_from_str(clock, "%H:%M").ok()?;
            let mut at = Utc.from_utc_datetime(&today.date_naive().and_time(time)).timestamp();
            if at <= now {
                at += 86_400;
            }
            Some((at, None))
        }
        ["every", rest @ ..] => {
            let (frequency, weekdays) = match rest {
                ["day"] => ("daily", vec![]),
                ["weekday"] => ("weekly", WEEKDAYS[..5].iter().map(|d| d.to_string()).collect()),
                ["week"] => ("weekly", vec![WEEKDAYS[today.weekday().num_days_from_monday() as usize].to_string()]),
                ["month"] => ("monthly", vec![]),
                ["year"] => ("yearly", vec![]),
                [day] => {
                    let day = day.trim_end_matches('s');
                    let found = WEEKDAYS.iter().find(|d| **d == day)?;
                    ("weekly", vec![found.to_string()])
                }
                _ => return None,
            };
            let rec = Recurrence { frequency: frequency.into(), weekdays };
            let mut first = at_nine(0)?;
            // Weekly on named days starts on the first of them.
            for _ in 0..7 {
                let day = Utc.timestamp_opt(first, 0).single()?.weekday().num_days_from_monday() as usize;
                if rec.weekdays.is_empty() || rec.weekdays.iter().any(|w| w == WEEKDAYS[day]) {
                    break;
                }
                first += 86_400;
            }
            if first <= now {
                first = rec.next_after(first, now);
            }
            Some((first, Some(rec)))
        }
        _ => None,
    }
}

/// The `recurrence` argument: `{"frequency": "daily"|"weekly"|"monthly"|"yearly", "weekdays": [...]}`.
fn recurrence_arg(call: &Call<'_>) -> Result<Option<Recurrence>, SlackError> {
    let value = match call.params.json("recurrence") {
        Ok(None) => return Ok(None),
        Ok(Some(v)) => v,
        Err(_) => return Err(SlackError::invalid("recurrence")),
    };
    let frequency = value.get("frequency").and_then(Value::as_str).ok_or_else(|| SlackError::invalid("recurrence"))?;
    if !matches!(frequency, "daily" | "weekly" | "monthly" | "yearly") {
        return Err(SlackError::invalid("recurrence"));
    }
    let mut weekdays = Vec::new();
    for d in value.get("weekdays").and_then(Value::as_array).into_iter().flatten() {
        let d = d.as_str().map(str::to_lowercase).ok_or_else(|| SlackError::invalid("recurrence"))?;
        if !WEEKDAYS.contains(&d.as_str()) {
            return Err(SlackError::invalid("recurrence"));
        }
        weekdays.push(d);
    }
    Ok(Some(Recurrence { frequency: frequency.into(), weekdays }))
}

pub fn reminder_json(r: &Reminder) -> Value {
    let mut v = json!({
        "id": r.id, "creator": r.creator, "user": r.user, "text": r.text, "recurring": r.recurrence.is_some(),
    });
    match &r.recurrence {
        None => {
            v["time"] = json!(r.time);
            v["complete_ts"] = json!(r.complete_ts);
        }
        Some(rec) => {
            let mut recurrence = json!({ "frequency": rec.frequency });
            if !rec.weekdays.is_empty() {
                recurrence["weekdays"] = json!(rec.weekdays);
            }
            v["recurrence"] = recurrence;
        }
    }
    v
}

pub fn reminders_add(call: &Call<'_>) -> Result<Reply, SlackError> {
    let text = call.arg("text")?;
    let time = call.arg("time")?;
    let now = call.now_s();
    let (at, words_recurrence) = parse_time(&time, now).ok_or(SlackError::Code("cannot_parse"))?;
    if at <= now || at > now + MAX_REMINDER_AHEAD_S {
        return Err(SlackError::Code("cannot_parse"));
    }
    let recurrence = recurrence_arg(call)?.or(words_recurrence);
    let me = call.actor.user.clone();
    let target = call.params.nonempty("user").map(|u| u.trim().to_string()).unwrap_or_else(|| me.clone());
    call.write(|s, ids| {
        let user = s.user(&target)?;
        if user.id == SLACKBOT {
            return Err(SlackError::Code("cannot_add_slackbot"));
        }
        if user.is_bot || user.deleted {
            return Err(SlackError::Code("cannot_add_bot"));
        }
        if user.id != me {
            let code = if recurrence.is_some() { "cannot_add_others_recurring" } else { "cannot_add_others" };
            return Err(SlackError::Code(code));
        }
        let id = loop {
            let id = ids.upper_id("Rm", 10);
            if !s.reminders.contains_key(&id) {
                break id;
            }
        };
        let r = Reminder {
            id: id.clone(),
            creator: me.clone(),
            user: target.clone(),
            text: text.clone(),
            time: at,
            recurrence: recurrence.clone(),
            complete_ts: 0,
            fired: false,
            created: now,
        };
        s.reminders.insert(id, r.clone());
        Ok(ok(json!({ "reminder": reminder_json(&r) })))
    })
}

/// A reminder of the caller's (theirs or made by them).
fn reminder<'s>(s: &'s SlackState, call: &Call<'_>) -> Result<&'s Reminder, SlackError> {
    let id = call.arg("reminder")?;
    let me = &call.actor.user;
    s.reminders.get(id.trim()).filter(|r| r.user == *me || r.creator == *me).ok_or(SlackError::Code("not_found"))
}

pub fn reminders_info(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.read(|s| Ok(ok(json!({ "reminder": reminder_json(reminder(s, call)?) }))))
}

pub fn reminders_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let me = call.actor.user.clone();
    call.read(|s| {
        let mut list: Vec<&Reminder> = s.reminders.values().filter(|r| r.user == me || r.creator == me).collect();
        list.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
        let reminders: Vec<Value> = list.into_iter().map(reminder_json).collect();
        Ok(ok(json!({ "reminders": reminders })))
    })
}

pub fn reminders_complete(call: &Call<'_>) -> Result<Reply, SlackError> {
    let now = call.now_s();
    call.write(|s, _| {
        let mut r = reminder(s, call)?.clone();
        if r.user != call.actor.user {
            return Err(SlackError::Code("cannot_complete_others"));
        }
        if r.recurrence.is_some() {
            return Err(SlackError::Code("cannot_complete_recurring"));
        }
        r.complete_ts = now;
        s.reminders.insert(r.id.clone(), r);
        Ok(ok(json!({})))
    })
}

pub fn reminders_delete(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.write(|s, _| {
        let id = reminder(s, call)?.id.clone();
        s.reminders.remove(&id);
        Ok(ok(json!({})))
    })
}

// --- stars ---------------------------------------------------------------------------

/// The item `channel` + `timestamp`, `file` or `channel` names, checked: `(kind, channel,
/// ts, file)`.
fn star_item(s: &SlackState, call: &Call<'_>) -> Result<Star, SlackError> {
    let channel = call.params.nonempty("channel").map(|c| c.trim().to_string());
    let ts = call.params.nonempty("timestamp").map(|t| t.trim().to_string());
    let file = call.params.nonempty("file").map(|f| f.trim().to_string());
    let base =
        Star { user: call.actor.user.clone(), kind: String::new(), channel: None, ts: None, file: None, created: 0 };
    if call.params.nonempty("file_comment").is_some() {
        return Err(SlackError::Code("file_comment_not_found"));
    }
    if let Some(file) = file {
        crate::methods::files::visible_file(s, call, &file)?;
        return Ok(Star { kind: "file".into(), file: Some(file), ..base });
    }
    match (channel, ts) {
        (Some(channel), Some(ts)) => {
            if parse_ts(&ts).is_none() {
                return Err(SlackError::Code("bad_timestamp"));
            }
            let ch = s.access(&channel, &call.actor, Access::See)?;
            let m = s.message(&ch.id, &ts)?;
            Ok(Star { kind: "message".into(), channel: Some(ch.id.clone()), ts: Some(m.ts.clone()), ..base })
        }
        (Some(channel), None) => {
            let ch = s.access(&channel, &call.actor, Access::See)?;
            Ok(Star { kind: "channel".into(), channel: Some(ch.id.clone()), ..base })
        }
        (None, _) => Err(SlackError::Code("no_item_specified")),
    }
}

fn star_key(star: &Star) -> String {
    let item = match star.kind.as_str() {
        "message" => format!("message:{}:{}", star.channel.as_deref().unwrap_or(""), star.ts.as_deref().unwrap_or("")),
        "file" => format!("file:{}", star.file.as_deref().unwrap_or("")),
        _ => format!("channel:{}", star.channel.as_deref().unwrap_or("")),
    };
    format!("{}:{item}", star.user)
}

pub fn stars_add(call: &Call<'_>) -> Result<Reply, SlackError> {
    let now = call.now_s();
    call.write(|s, _| {
        let mut star = star_item(s, call)?;
        star.created = now;
        let key = star_key(&star);
        if s.stars.contains_key(&key) {
            return Err(SlackError::Code("already_starred"));
        }
        s.stars.insert(key, star);
        Ok(ok(json!({})))
    })
}

pub fn stars_remove(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.write(|s, _| {
        let star = star_item(s, call)?;
        if s.stars.remove(&star_key(&star)).is_none() {
            return Err(SlackError::Code("not_starred"));
        }
        Ok(ok(json!({})))
    })
}

fn star_json(s: &SlackState, star: &Star) -> Option<Value> {
    let mut v = match star.kind.as_str() {
        "message" => {
            let channel = star.channel.as_deref()?;
            let m = s.message(channel, star.ts.as_deref()?).ok()?;
            let mut message = message_json(s, m);
            message["permalink"] = json!(permalink(s, channel, m));
            json!({"type": "message", "channel": channel, "message": message})
        }
        "file" => {
            let f = s.files.get(star.file.as_deref()?).filter(|f| !f.deleted)?;
            json!({"type": "file", "file": file_json(s, f)})
        }
        _ => {
            let channel = star.channel.as_deref()?;
            s.channels.get(channel)?;
            json!({"type": "channel", "channel": channel})
        }
    };
    v["date_create"] = json!(star.created);
    Some(v)
}

pub fn stars_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let req = page_request(call.params, "star", DEFAULT_LIMITS)?;
    let me = call.actor.user.clone();
    call.read(|s| {
        let mut mine: Vec<(String, Value)> = s
            .stars
            .range(format!("{me}:")..format!("{me};"))
            .filter_map(|(key, star)| star_json(s, star).map(|v| (format!("{:012}:{key}", star.created), v)))
            .collect();
        mine.sort_by(|a, b| b.0.cmp(&a.0));
        let total = mine.len();
        let page = paginate(mine, &req, "star", true);
        Ok(ok(json!({
            "items": page.items,
            "paging": {"count": req.limit, "total": total, "page": 1, "pages": total.div_ceil(req.limit.max(1)).max(1)},
            "response_metadata": metadata(&page.next_cursor),
        })))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminder_times() {
        let now = 1_767_225_600; // 2026-01-01 00:00 UTC, a Thursday
        assert_eq!(parse_time("60", now), Some((now + 60, None)));
        assert_eq!(parse_time("1800000000", now), Some((1_800_000_000, None)));
        assert_eq!(parse_time("in 15 minutes", now), Some((now + 900, None)));
        assert_eq!(parse_time("in an hour", now), Some((now + 3600, None)));
        assert_eq!(parse_time("tomorrow", now), Some((now + 86_400 + 9 * 3600, None)));
        assert_eq!(parse_time("at 10:30", now), Some((now + 10 * 3600 + 1800, None)));
        let (first, rec) = parse_time("every day", now).unwrap();
        assert_eq!((first, rec.unwrap().frequency.as_str()), (now + 9 * 3600, "daily"));
        let (first, rec) = parse_time("every Monday", now).unwrap();
        assert_eq!(rec.unwrap().weekdays, vec!["monday"]);
        assert_eq!(first, now + 4 * 86_400 + 9 * 3600);
        assert_eq!(parse_time("whenever", now), None);
        assert_eq!(parse_time("-5", now), None);
        assert_eq!(parse_time("in 99999999999999999 weeks", now), None);
        assert_eq!(parse_time("in 9223372036854775807 seconds", now), None);
    }
}
