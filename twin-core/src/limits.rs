//! Realistic rate limits (`--realistic-limits`): a token bucket per (principal, rate
//! class) in each universe. Refill reads the universe's clock, not the wall clock, so a
//! scenario that advances time refills the buckets the way waiting would.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;

use crate::twin::RateLimit;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct Buckets {
    inner: Mutex<HashMap<(String, String), Bucket>>,
}

/// The most buckets one universe keeps; past it the oldest idle ones are dropped
/// (a dropped bucket starts full again, which only ever errs towards allowing).
const MAX_BUCKETS: usize = 10_000;

impl Buckets {
    /// Takes one token for `principal` in `limit`'s class. `Err(retry_after_s)` when
    /// the bucket is empty: the whole seconds until a token is back (at least 1).
    pub fn take(&self, principal: &str, limit: &RateLimit, now: DateTime<Utc>) -> Result<(), u64> {
        let capacity = f64::from(limit.limit.max(1));
        let per_second = capacity / f64::from(limit.per_seconds.max(1));
        let mut buckets = self.inner.lock();
        if buckets.len() >= MAX_BUCKETS {
            let oldest = buckets.iter().min_by_key(|(_, b)| b.updated).map(|(k, _)| k.clone());
            if let Some(key) = oldest {
                buckets.remove(&key);
            }
        }
        let bucket = buckets
            .entry((principal.to_string(), limit.class.clone()))
            .or_insert(Bucket { tokens: capacity, updated: now });
        let elapsed = (now - bucket.updated).num_milliseconds().max(0) as f64 / 1000.0;
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / per_second;
            Err(wait.ceil().max(1.0) as u64)
        }
    }

    pub fn clear(&self) {
        self.inner.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn bucket_empties_then_refills_on_the_universe_clock() {
        let buckets = Buckets::default();
        let limit = RateLimit { class: "tier2".into(), limit: 2, per_seconds: 60, shared: false };
        let t0 = Utc::now();
        assert!(buckets.take("U1", &limit, t0).is_ok());
        assert!(buckets.take("U1", &limit, t0).is_ok());
        assert_eq!(buckets.take("U1", &limit, t0), Err(30));
        // another principal has its own bucket
        assert!(buckets.take("U2", &limit, t0).is_ok());
        assert!(buckets.take("U1", &limit, t0 + Duration::seconds(30)).is_ok());
    }
}
