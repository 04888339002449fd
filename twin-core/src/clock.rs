//! A universe's clock: real time by default, or frozen, set and advanced through the
//! control plane. Everything time-dependent in a universe reads this clock, so a
//! scenario can move time without sleeping.

use chrono::{DateTime, Duration, Utc};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ClockState {
    /// Real time shifted by `offset_ms` (zero for a clock nobody touched).
    Running { offset_ms: i64 },
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
        Self::new(ClockState::Running { offset_ms: 0 })
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
            ClockState::Running { offset_ms } => Utc::now() + Duration::milliseconds(offset_ms),
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
            ClockState::Running { offset_ms: (now - Utc::now()).num_milliseconds() }
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
            ClockState::Running { offset_ms } => ClockState::Running { offset_ms: offset_ms + by.num_milliseconds() },
            ClockState::Frozen { at } => ClockState::Frozen { at: at + by },
        };
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
    fn running_clock_keeps_its_offset() {
        let clock = Clock::default();
        let at = Utc::now() + Duration::days(365);
        clock.set(at, false);
        let drift = (clock.now() - at).num_milliseconds();
        assert!((0..5_000).contains(&drift), "drift {drift}");
        assert!(!clock.view().frozen);
    }
}
