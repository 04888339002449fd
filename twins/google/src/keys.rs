//! The service account's key pair: one RSA-2048 key shipped with the crate (test
//! data, public by design: a twin's tokens prove nothing outside DTU). The manifest
//! hands out the private key inside a service-account JSON key file; `/token`
//! verifies the client's JWT assertions against its public half.

use std::sync::OnceLock;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use serde_json::Value;

pub const PRIVATE_KEY_PEM: &str = include_str!("../keys/service-account.pem");

/// The `private_key_id` of the key file (the assertion's `kid`).
pub const PRIVATE_KEY_ID: &str = "d7c1a0b25e3f4a6b8c9d0e1f2a3b4c5d6e7f8091";

fn decoding_key() -> Option<&'static DecodingKey> {
    static KEY: OnceLock<Option<DecodingKey>> = OnceLock::new();
    KEY.get_or_init(|| {
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(PRIVATE_KEY_PEM)
            .map_err(|e| tracing::error!("service account key does not parse: {e}"))
            .ok()?;
        let public = private.to_public_key().to_public_key_pem(rsa::pkcs8::LineEnding::LF).ok()?;
        DecodingKey::from_rsa_pem(public.as_bytes()).ok()
    })
    .as_ref()
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AssertionError {
    #[error("Invalid JWT Signature.")]
    Signature,
    #[error("Invalid JWT: {0}")]
    Claims(String),
}

/// Verifies an RS256 assertion signed with the shipped key; returns its claims.
/// Times are checked for shape only (`exp` after `iat`, at most an hour apart): the
/// universe clock may be set anywhere, and clients sign with the wall clock.
pub fn verify_assertion(token: &str) -> Result<Value, AssertionError> {
    let key = decoding_key().ok_or(AssertionError::Signature)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(token, key, &validation).map_err(|_| AssertionError::Signature)?.claims;
    let iat = claims.get("iat").and_then(Value::as_i64);
    let exp = claims.get("exp").and_then(Value::as_i64);
    match (iat, exp) {
        (Some(iat), Some(exp)) if exp > iat && exp - iat <= 3600 => {}
        (Some(_), Some(_)) => {
            return Err(AssertionError::Claims("Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.".into()))
        }
        _ => return Err(AssertionError::Claims("Missing required claims iat, exp.".into())),
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    #[test]
    fn assertions_signed_with_the_key_verify() {
        let key = EncodingKey::from_rsa_pem(PRIVATE_KEY_PEM.as_bytes()).unwrap();
        let claims = json!({"iss": "sa@x", "iat": 1000, "exp": 4600, "scope": "s", "aud": "http://t/token"});
        let token = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).unwrap();
        assert_eq!(verify_assertion(&token).unwrap()["iss"], "sa@x");
        let mut bad = token.clone();
        bad.pop();
        assert_eq!(verify_assertion(&bad), Err(AssertionError::Signature));
        let long = json!({"iss": "sa@x", "iat": 1000, "exp": 99999});
        let token = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &long, &key).unwrap();
        assert!(matches!(verify_assertion(&token), Err(AssertionError::Claims(_))));
    }
}
