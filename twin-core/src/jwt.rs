//! RS256 signing for twins that issue JWTs (Okta's authorization servers, Slack's Sign
//! in with Slack): RSA keys shipped in a twin's crate (test data, public by design), a
//! JWKS of them, compact JWS signing with the first key and verification against any.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub struct SigningKey {
    /// base64url(SHA-256(modulus)): 43 characters.
    pub kid: String,
    /// Modulus and exponent, base64url.
    pub n: String,
    pub e: String,
    /// AWS-LC's key signs: many times faster than the pure-Rust `rsa` crate, and about
    /// twice ring (it uses AVX-512 IFMA where the CPU has it). Signing is most of a token's
    /// cost, and token issuance was Okta's slowest call (BENCHMARKS.md).
    signer: aws_lc_rs::signature::RsaKeyPair,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no signing key is available")]
    Unavailable,
    #[error("claims: {0}")]
    Claims(#[from] serde_json::Error),
    #[error("signing failed")]
    Signing,
}

/// A twin's signing keys: the first signs, all verify and are published.
pub struct KeySet {
    keys: Vec<SigningKey>,
}

impl KeySet {
    /// Loads PKCS#8 PEM keys; one that does not load is logged and left out.
    pub fn from_pems(pems: &[&str]) -> Self {
        Self { keys: pems.iter().filter_map(|p| load(p)).collect() }
    }

    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }

    pub fn current_kid(&self) -> String {
        self.keys.first().map(|k| k.kid.clone()).unwrap_or_default()
    }

    /// `{"keys":[…]}`: the JSON Web Key Set.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|k| json!({"kty": "RSA", "alg": "RS256", "kid": k.kid, "use": "sig", "e": k.e, "n": k.n}))
            .collect();
        json!({ "keys": keys })
    }

    /// Signs `claims` RS256 with the current key, `kid` in the header: a compact JWS,
    /// `base64url(header).base64url(claims).base64url(signature)`.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        let key = self.keys.first().ok_or(KeyError::Unavailable)?;
        let header = json!({"typ": "JWT", "alg": "RS256", "kid": key.kid});
        let mut token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?));
        let mut signature = vec![0; key.signer.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        key.signer
            .sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &rng, token.as_bytes(), &mut signature)
            .map_err(|_| KeyError::Signing)?;
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(&signature));
        Ok(token)
    }

    /// Verifies a token signed with one of these keys (times unchecked) and returns
    /// its claims.
    pub fn verify(&self, token: &str) -> Option<Value> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let kid = header.kid?;
        let key = self.keys.iter().find(|k| k.kid == kid)?;
        let decoding = DecodingKey::from_rsa_components(&key.n, &key.e).ok()?;
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        jsonwebtoken::decode::<Value>(token, &decoding, &validation).ok().map(|d| d.claims)
    }
}

fn load(pem: &str) -> Option<SigningKey> {
    let private = match rsa::RsaPrivateKey::from_pkcs8_pem(pem) {
        Ok(k) => k,
        Err(e) => {
            tracing::error!("signing key does not parse: {e}");
            return None;
        }
    };
    let n = private.n().to_bytes_be();
    let e = private.e().to_bytes_be();
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(&n));
    let der = match private.to_pkcs8_der() {
        Ok(d) => d,
        Err(e) => {
            tracing::error!("signing key does not encode: {e}");
            return None;
        }
    };
    let signer = match aws_lc_rs::signature::RsaKeyPair::from_pkcs8(der.as_bytes()) {
        Ok(k) => k,
        Err(e) => {
            tracing::error!("signing key is refused by AWS-LC: {e}");
            return None;
        }
    };
    Some(SigningKey { kid, n: URL_SAFE_NO_PAD.encode(&n), e: URL_SAFE_NO_PAD.encode(&e), signer })
}

/// base64url(SHA-256(data)) — PKCE S256.
pub fn s256(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(data))
}

/// The left half of SHA-256, base64url: OIDC's `at_hash`.
pub fn half_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_the_rfc_example() {
        // RFC 7636 appendix B.
        assert_eq!(s256(b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn a_key_set_without_keys_signs_nothing() {
        let empty = KeySet::from_pems(&["not a key"]);
        assert!(empty.keys().is_empty());
        assert!(matches!(empty.sign(&json!({})), Err(KeyError::Unavailable)));
        assert_eq!(empty.jwks()["keys"], json!([]));
    }
}
