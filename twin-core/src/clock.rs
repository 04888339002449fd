//! A universe's clock: real time by default, or frozen, set and advanced through the
//! control plane. Everything time-dependent in a universe reads this clock, so a
//! scenario can move time without sleeping.

use chrono::{DateTime, Duration, Utc};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ClockState {
    /// Real time shifted by `offset_us` microseconds (zero for a clock nobody touched).
    Running { offset_us: i64 },
    /// Stopped at `at` until set or advanced.
    Frozen { at: DateTime<Utc> },
}

#[derive(Debug)]
pub struct Clock {
    state: Mutex<ClockState>,
}

/// The clock as the control plane shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClockView {
    pub now: DateTime<Utc>,
    pub frozen: bool,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new(ClockState::Running { offset_us: 0 })
    }
}

impl Clock {
    pub fn new(state: ClockState) -> Self {
        Self { state: Mutex::new(state) }
    }

    pub fn now(&self) -> DateTime<Utc> {
        Self::read(*self.state.lock())
    }

    fn read(state: ClockState) -> DateTime<Utc> {
        match state {
            ClockState::Running { offset_us } => Utc::now() + Duration::microseconds(offset_us),
            ClockState::Frozen { at } => at,
        }
    }

    pub fn state(&self) -> ClockState {
        *self.state.lock()
    }

    pub fn view(&self) -> ClockView {
        let state = self.state();
        ClockView { now: Self::read(state), frozen: matches!(state, ClockState::Frozen { .. }) }
    }

    /// Sets the time (and whether it stands still).
    pub fn set(&self, now: DateTime<Utc>, frozen: bool) {
        let next = if frozen {
            ClockState::Frozen { at: now }
        } else {
            ClockState::Running { offset_us: offset_us(now - Utc::now()) }
        };
        *self.state.lock() = next;
    }

    pub fn restore(&self, state: ClockState) {
        *self.state.lock() = state;
    }

    /// Moves the clock forward (or back, for a negative amount) without sleeping.
    pub fn advance(&self, by: Duration) {
        let mut state = self.state.lock();
        *state = match *state {
            ClockState::Running { offset_us } => ClockState::Running { offset_us: offset_us + self::offset_us(by) },
            ClockState::Frozen { at } => ClockState::Frozen { at: at + by },
        };
    }
}

/// A duration in whole microseconds, rounded up, so that unfreezing a clock never
/// moves it back by the part of a microsecond that truncation would lose.
fn offset_us(d: Duration) -> i64 {
    match d.num_nanoseconds() {
        Some(ns) => ns.div_euclid(1000) + i64::from(ns.rem_euclid(1000) != 0),
        None => d.num_microseconds().unwrap_or(if d > Duration::zero() { i64::MAX } else { i64::MIN }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_stands_still_and_advances() {
        let clock = Clock::default();
        let at = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        clock.set(at, true);
        assert_eq!(clock.now(), at);
        clock.advance(Duration::seconds(90));
        assert_eq!(clock.now(), at + Duration::seconds(90));
        assert!(clock.view().frozen);
    }

    #[test]
    fn unfreezing_never_moves_time_back() {
        let clock = Clock::default();
        let at = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        clock.set(at, true);
        clock.set(clock.now(), false);
        assert!(clock.now() >= at);
    }

    #[test]
    fn running_clock_keeps_its_offset() {
        let clock = Clock::default();
        let at = Utc::now() + Duration::days(365);
        clock.set(at, false);
        let drift = (clock.now() - at).num_milliseconds();
        assert!((0..5_000).contains(&drift), "drift {drift}");
        assert!(!clock.view().frozen);
    }
}
