//! The little of X.509 the twin reads: an uploaded certificate's RSA public key and
//! expiry, for the identity providers' signing keys (`/api/v1/idps/credentials/keys`).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use simple_asn1::{from_der, oid, ASN1Block};

/// What a certificate gives a JSON Web Key.
#[derive(Debug, Clone, PartialEq)]
pub struct CertKey {
    /// base64url modulus and exponent.
    pub n: String,
    pub e: String,
    /// base64url SHA-256 of the DER certificate.
    pub x5t_s256: String,
    pub not_after: DateTime<Utc>,
}

/// Why a certificate was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CertError {
    #[error("the value is not base64")]
    NotBase64,
    #[error("the value is not a DER X.509 certificate")]
    NotCertificate,
    #[error("the certificate's key is not an RSA key")]
    NotRsa,
}

fn sequence(block: &ASN1Block) -> Option<&[ASN1Block]> {
    match block {
        ASN1Block::Sequence(_, items) => Some(items),
        _ => None,
    }
}

fn unsigned_bytes(block: &ASN1Block) -> Option<Vec<u8>> {
    match block {
        ASN1Block::Integer(_, n) => {
            let (_, bytes) = n.to_bytes_be();
            Some(bytes)
        }
        _ => None,
    }
}

fn time_of(block: &ASN1Block) -> Option<DateTime<Utc>> {
    let t = match block {
        ASN1Block::UTCTime(_, t) | ASN1Block::GeneralizedTime(_, t) => t,
        _ => return None,
    };
    DateTime::from_timestamp(t.assume_utc().unix_timestamp(), 0)
}

/// Reads a base64 DER certificate (an `x5c` entry).
pub fn read_certificate(x5c: &str) -> Result<CertKey, CertError> {
    let der = STANDARD.decode(x5c.trim().as_bytes()).map_err(|_| CertError::NotBase64)?;
    let blocks = from_der(&der).map_err(|_| CertError::NotCertificate)?;
    let cert = blocks.first().and_then(sequence).ok_or(CertError::NotCertificate)?;
    let tbs = cert.first().and_then(sequence).ok_or(CertError::NotCertificate)?;
    // The version is an optional explicit [0] before the serial number.
    let skip = usize::from(matches!(tbs.first(), Some(ASN1Block::Explicit(..))));
    let validity = tbs.get(skip + 3).and_then(sequence).ok_or(CertError::NotCertificate)?;
    let not_after = validity.get(1).and_then(time_of).ok_or(CertError::NotCertificate)?;
    let spki = tbs.get(skip + 5).and_then(sequence).ok_or(CertError::NotCertificate)?;
    let algorithm = spki.first().and_then(sequence).and_then(|a| a.first()).ok_or(CertError::NotCertificate)?;
    let is_rsa = matches!(algorithm, ASN1Block::ObjectIdentifier(_, o) if *o == oid!(1, 2, 840, 113549, 1, 1, 1));
    if !is_rsa {
        return Err(CertError::NotRsa);
    }
    let key_bits = match spki.get(1) {
        Some(ASN1Block::BitString(_, _, bytes)) => bytes,
        _ => return Err(CertError::NotCertificate),
    };
    let key = from_der(key_bits).map_err(|_| CertError::NotRsa)?;
    let rsa = key.first().and_then(sequence).ok_or(CertError::NotRsa)?;
    let n = rsa.first().and_then(unsigned_bytes).ok_or(CertError::NotRsa)?;
    let e = rsa.get(1).and_then(unsigned_bytes).ok_or(CertError::NotRsa)?;
    Ok(CertKey {
        n: URL_SAFE_NO_PAD.encode(n),
        e: URL_SAFE_NO_PAD.encode(e),
        x5t_s256: URL_SAFE_NO_PAD.encode(Sha256::digest(&der)),
        not_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_refused_without_a_panic() {
        assert_eq!(read_certificate("%%%"), Err(CertError::NotBase64));
        assert_eq!(read_certificate("AAAA"), Err(CertError::NotCertificate));
        // A DER sequence of nothing.
        assert_eq!(read_certificate(&STANDARD.encode([0x30, 0x00])), Err(CertError::NotCertificate));
    }
}
