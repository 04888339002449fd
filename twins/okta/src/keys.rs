//! The authorization servers' signing keys: two RSA-2048 keys shipped with the
//! crate (a fake IdP's keys are test data), published as a JWKS with the first
//! one current, the second the next in rotation (Okta publishes both). Signing and
//! verifying are twin-core's ([`twin_core::jwt`]).

use std::sync::OnceLock;

use serde::Serialize;
use serde_json::Value;
use twin_core::jwt::{KeySet, SigningKey};

pub use twin_core::jwt::{half_hash, s256, KeyError};

const PEMS: [&str; 2] = [include_str!("../keys/signing-1.pem"), include_str!("../keys/signing-2.pem")];

fn key_set() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| KeySet::from_pems(&PEMS))
}

pub fn keys() -> &'static [SigningKey] {
    key_set().keys()
}

pub fn current_kid() -> String {
    key_set().current_kid()
}

/// `{"keys":[…]}` as `/v1/keys` publishes it.
pub fn jwks() -> Value {
    key_set().jwks()
}

/// Signs `claims` RS256 with the current key.
pub fn sign<T: Serialize>(claims: &T) -> Result<String, KeyError> {
    key_set().sign(claims)
}

/// Verifies a token this twin signed (any key of the org set or of the rotation
/// pool) and returns its claims.
pub fn verify_own(token: &str) -> Option<Value> {
    key_set().verify(token).or_else(|| {
        let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
        pool().iter().find(|k| k.current_kid() == kid)?.verify(token)
    })
}

/// The keys custom authorization servers rotate through: the two above first (so
/// the seeded `default` server signs as it always did), then four more. A server
/// holds pool indices; rotating moves it to the next one, wrapping round, because
/// generating RSA keys at run time would cost seconds per rotation.
const POOL_PEMS: [&str; 6] = [
    include_str!("../keys/signing-1.pem"),
    include_str!("../keys/signing-2.pem"),
    include_str!("../keys/signing-3.pem"),
    include_str!("../keys/signing-4.pem"),
    include_str!("../keys/signing-5.pem"),
    include_str!("../keys/signing-6.pem"),
];

/// One single-key set per pool key, so each can sign on its own.
fn pool() -> &'static [KeySet] {
    static POOL: OnceLock<Vec<KeySet>> = OnceLock::new();
    POOL.get_or_init(|| POOL_PEMS.iter().map(|p| KeySet::from_pems(&[p])).collect())
}

pub fn pool_len() -> usize {
    POOL_PEMS.len()
}

/// The `kid` of pool key `index` (empty if it failed to load).
pub fn pool_kid(index: usize) -> String {
    pool().get(index % pool_len()).map(KeySet::current_kid).unwrap_or_default()
}

/// The public JWK of pool key `index`.
pub fn pool_jwk(index: usize) -> Option<Value> {
    let jwks = pool().get(index % pool_len())?.jwks();
    jwks.get("keys")?.as_array()?.first().cloned()
}

/// Signs `claims` RS256 with pool key `index`.
pub fn sign_with<T: Serialize>(index: usize, claims: &T) -> Result<String, KeyError> {
    pool().get(index % pool_len()).ok_or(KeyError::Unavailable)?.sign(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::Algorithm;
    use serde_json::json;

    #[test]
    fn two_keys_with_distinct_43_char_kids() {
        let ks = keys();
        assert_eq!(ks.len(), 2);
        assert_eq!(ks[0].kid.len(), 43);
        assert_ne!(ks[0].kid, ks[1].kid);
        assert_eq!(ks[0].e, "AQAB");
        assert_eq!(jwks()["keys"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn signed_tokens_verify_against_the_published_key() {
        let token = sign(&json!({"sub": "00u1", "iss": "http://x"})).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(current_kid().as_str()));
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(verify_own(&token).unwrap()["sub"], "00u1");
        let mut tampered = token.clone();
        tampered.push('x');
        assert!(verify_own(&tampered).is_none());
    }

    #[test]
    fn pool_keys_sign_with_their_own_kid_and_verify() {
        assert_eq!(pool_kid(0), current_kid());
        let kids: std::collections::HashSet<String> = (0..pool_len()).map(pool_kid).collect();
        assert_eq!(kids.len(), pool_len());
        let token = sign_with(3, &json!({"sub": "x"})).unwrap();
        assert_eq!(jsonwebtoken::decode_header(&token).unwrap().kid, Some(pool_kid(3)));
        assert_eq!(verify_own(&token).unwrap()["sub"], "x");
        assert_eq!(pool_jwk(3).unwrap()["kid"], pool_kid(3));
    }

    #[test]
    fn pkce_s256_matches_the_rfc_example() {
        // RFC 7636 appendix B.
        assert_eq!(s256(b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }
}
