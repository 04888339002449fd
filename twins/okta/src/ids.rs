//! Okta-shaped identifiers from the universe's seeded generator: 20 case-sensitive
//! alphanumerics whose prefix names the kind (`00u` user, `00g` group, `0oa` app, …).

use twin_core::ids::IdGen;

const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The length of every Okta object id.
pub const ID_LEN: usize = 20;

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `len` alphanumerics derived from `seed` alone (for ids outside any universe state).
pub fn alnum_from(seed: u64, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut state = seed;
    while out.len() < len {
        state = splitmix(state);
        let mut bits = state;
        for _ in 0..10 {
            if out.len() == len {
                break;
            }
            out.push(ALNUM[(bits % ALNUM.len() as u64) as usize] as char);
            bits /= ALNUM.len() as u64;
        }
    }
    out
}

/// `len` alphanumerics (both cases) from the universe's generator.
pub fn alnum(ids: &mut IdGen, len: usize) -> String {
    alnum_from(ids.next_u64(), len)
}

/// A 20-character id starting with `prefix`.
pub fn okta_id(ids: &mut IdGen, prefix: &str) -> String {
    let rest = ID_LEN.saturating_sub(prefix.len()).max(1);
    format!("{prefix}{}", alnum(ids, rest))
}

/// A version-4-shaped UUID.
pub fn uuid(ids: &mut IdGen) -> String {
    let (a, b) = (ids.next_u64(), ids.next_u64());
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-4{}-{}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        ["8", "9", "a", "b"][(b >> 62) as usize],
        &hex[17..20],
        &hex[20..32]
    )
}

/// Is `s` shaped like an id or cursor we hand out (so garbage cursors can be refused)?
pub fn is_cursor(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_vendor_shape_and_are_deterministic() {
        let (mut a, mut b) = (IdGen::new(3), IdGen::new(3));
        let x = okta_id(&mut a, "00u");
        assert_eq!(x, okta_id(&mut b, "00u"));
        assert_eq!(x.len(), 20);
        assert!(x.starts_with("00u") && x.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(x, okta_id(&mut a, "00u"));
        assert_eq!(okta_id(&mut a, "ostf").len(), 20);
    }

    #[test]
    fn uuids_are_well_formed() {
        let u = uuid(&mut IdGen::new(1));
        let parts: Vec<_> = u.split('-').map(str::len).collect();
        assert_eq!(parts, vec![8, 4, 4, 4, 12], "{u}");
        assert_eq!(&u[14..15], "4");
    }
}
