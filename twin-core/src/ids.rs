//! The seeded generator behind every id and token a universe mints. It is a counter
//! run through SplitMix64, so its whole state is two integers: it snapshots, forks
//! and exports for free, and the same seed and the same requests give the same ids.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdGen {
    pub seed: u64,
    pub counter: u64,
}

const UPPER_ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER_ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

impl IdGen {
    pub fn new(seed: u64) -> Self {
        Self { seed, counter: 0 }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.counter = self.counter.wrapping_add(1);
        splitmix64(self.seed ^ self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// A uniform draw in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chars(&mut self, alphabet: &[u8], len: usize) -> String {
        let mut out = String::with_capacity(len);
        let mut bits = self.next_u64();
        let mut left = 10; // 10 draws of 6 bits per u64
        for _ in 0..len {
            if left == 0 {
                bits = self.next_u64();
                left = 10;
            }
            out.push(alphabet[(bits & 0x3f) as usize % alphabet.len()] as char);
            bits >>= 6;
            left -= 1;
        }
        out
    }

    /// `prefix` then `len` characters of 0-9A-Z, as Slack ids look (`C07ABCDEF12`).
    pub fn upper_id(&mut self, prefix: &str, len: usize) -> String {
        format!("{prefix}{}", self.chars(UPPER_ALNUM, len))
    }

    /// `len` characters of 0-9a-z, for token secrets and opaque ids.
    pub fn lower_alnum(&mut self, len: usize) -> String {
        self.chars(LOWER_ALNUM, len)
    }

    pub fn hex(&mut self, len: usize) -> String {
        let mut out = String::with_capacity(len);
        while out.len() < len {
            out.push_str(&format!("{:016x}", self.next_u64()));
        }
        out.truncate(len);
        out
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable 64-bit seed from a string (FNV-1a), so a universe's id fixes its tokens.
pub fn seed_from_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_ids_and_different_seed_different_ids() {
        let (mut a, mut b, mut c) = (IdGen::new(7), IdGen::new(7), IdGen::new(8));
        let ia: Vec<_> = (0..5).map(|_| a.upper_id("C", 10)).collect();
        let ib: Vec<_> = (0..5).map(|_| b.upper_id("C", 10)).collect();
        let ic: Vec<_> = (0..5).map(|_| c.upper_id("C", 10)).collect();
        assert_eq!(ia, ib);
        assert_ne!(ia, ic);
        assert!(ia.iter().all(|id| id.len() == 11 && id.starts_with('C')));
    }

    #[test]
    fn floats_are_in_unit_interval() {
        let mut g = IdGen::new(1);
        for _ in 0..1000 {
            let x = g.next_f64();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
