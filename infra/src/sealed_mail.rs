//! Sealed boxes for outbox mail (issue 21, L4): every function that writes mail seals it with
//! the notifier's public key, and only the notifier holds the private key that opens it. A
//! function that only raises alerts (telemetry ingest, housekeeping) can then write e-mail
//! without holding the data key that opens provider secrets and, later, TOTP seeds.
//!
//! The box is HPKE's base mode in miniature, on AWS-LC: a fresh X25519 key pair per message,
//! its agreement with the recipient's public key through HKDF-SHA256 (salted with both public
//! keys) to an AES-256-GCM key, and `m1.` + base64(ephemeral public key ‖ nonce ‖ ciphertext
//! ‖ tag).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey, X25519};
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::hkdf::{HKDF_SHA256, Salt};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use stratum_shared::error::{DomainError, DomainResult};
use stratum_shared::ports::{MailOpen, MailSeal};

const PREFIX: &str = "m1.";
const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;
const INFO: &[u8] = b"stratum sealed mail v1";
/// Shortest secret a mail key is derived from: 32 characters of base64 carry 192 bits.
const MIN_SECRET_CHARS: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum MailKeyError {
    #[error("the mail key's secret is shorter than 32 characters")]
    TooShort,
    #[error("the mail public key is not 32 bytes of base64url")]
    NotAPublicKey,
}

/// The mail seal of a function configured without the notifier's public key: it seals
/// nothing, and says so rather than pretending.
pub struct NoMailKey;

impl MailSeal for NoMailKey {
    fn seal(&self, _plaintext: &str) -> DomainResult<String> {
        Err(DomainError::Internal(
            "this function holds no mail key (STRATUM_MAIL_PUBLIC_KEY); it cannot send e-mail".into(),
        ))
    }
}

/// Seals mail for the notifier: its public key only.
#[derive(Clone)]
pub struct MailSealer {
    recipient: [u8; KEY_BYTES],
}

impl MailSealer {
    /// From the notifier's public key as `cargo run -- keys` prints it (base64url).
    pub fn new(public_key: &str) -> Result<MailSealer, MailKeyError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(public_key.trim())
            .map_err(|_| MailKeyError::NotAPublicKey)?;
        let recipient: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| MailKeyError::NotAPublicKey)?;
        Ok(MailSealer { recipient })
    }
}

/// The notifier's key: opens what [`MailSealer`]s sealed (and seals too, for the local server,
/// which is sealer and notifier in one process).
pub struct MailKey {
    private: PrivateKey,
    public: [u8; KEY_BYTES],
}

impl MailKey {
    /// The key derived from a configured secret (its SHA-256 is the X25519 private key).
    pub fn new(secret: &str) -> Result<MailKey, MailKeyError> {
        let secret = secret.trim();
        if secret.len() < MIN_SECRET_CHARS {
            return Err(MailKeyError::TooShort);
        }
        let seed = digest(&SHA256, secret.as_bytes());
        let private = PrivateKey::from_private_key(&X25519, seed.as_ref()).expect("any 32 bytes are an X25519 key");
        let public = public_bytes(&private);
        Ok(MailKey { private, public })
    }

    /// The public key sealers are configured with (base64url).
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.public)
    }
}

fn public_bytes(private: &PrivateKey) -> [u8; KEY_BYTES] {
    let public = private.compute_public_key().expect("an X25519 key has a public key");
    public.as_ref().try_into().expect("an X25519 public key is 32 bytes")
}

/// The AES-256-GCM key of one message: the agreement through HKDF, salted with both public
/// keys so a box is bound to its sender's ephemeral key and its recipient.
fn message_key(
    private: &PrivateKey,
    peer: &[u8; KEY_BYTES],
    ephemeral: &[u8; KEY_BYTES],
    recipient: &[u8; KEY_BYTES],
) -> Option<LessSafeKey> {
    agreement::agree(private, UnparsedPublicKey::new(&X25519, peer), (), |shared| {
        let mut salt = ephemeral.to_vec();
        salt.extend_from_slice(recipient);
        let prk = Salt::new(HKDF_SHA256, &salt).extract(shared);
        let info = [INFO];
        let okm = prk.expand(&info, &AES_256_GCM).map_err(|_| ())?;
        Ok(LessSafeKey::new(UnboundKey::from(okm)))
    })
    .ok()
}

fn seal_to(recipient: &[u8; KEY_BYTES], plaintext: &str) -> DomainResult<String> {
    let failed = || DomainError::Internal("sealing a mail failed".into());
    let ephemeral = PrivateKey::generate(&X25519).map_err(|_| failed())?;
    let ephemeral_public = public_bytes(&ephemeral);
    let key = message_key(&ephemeral, recipient, &ephemeral_public, recipient).ok_or_else(failed)?;
    let mut nonce = [0u8; NONCE_BYTES];
    SystemRandom::new().fill(&mut nonce).map_err(|_| failed())?;
    let mut sealed = plaintext.as_bytes().to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut sealed)
        .map_err(|_| failed())?;
    let mut out = ephemeral_public.to_vec();
    out.extend_from_slice(&nonce);
    out.extend(sealed);
    Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
}

impl MailSeal for MailSealer {
    fn seal(&self, plaintext: &str) -> DomainResult<String> {
        seal_to(&self.recipient, plaintext)
    }
}

impl MailSeal for MailKey {
    fn seal(&self, plaintext: &str) -> DomainResult<String> {
        seal_to(&self.public, plaintext)
    }
}

impl MailOpen for MailKey {
    fn open(&self, sealed: &str) -> Option<String> {
        let bytes = STANDARD.decode(sealed.strip_prefix(PREFIX)?).ok()?;
        if bytes.len() < KEY_BYTES + NONCE_BYTES {
            return None;
        }
        let (ephemeral, rest) = bytes.split_at(KEY_BYTES);
        let (nonce, ciphertext) = rest.split_at(NONCE_BYTES);
        let ephemeral: [u8; KEY_BYTES] = ephemeral.try_into().ok()?;
        let key = message_key(&self.private, &ephemeral, &ephemeral, &self.public)?;
        let mut buffer = ciphertext.to_vec();
        let plain = key
            .open_in_place(Nonce::try_assume_unique_for_key(nonce).ok()?, Aad::empty(), &mut buffer)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a mail key secret of at least thirty-two characters";

    #[test]
    fn only_the_private_key_opens_what_its_public_key_sealed() {
        let key = MailKey::new(SECRET).unwrap();
        let sealer = MailSealer::new(&key.public_key()).unwrap();
        let sealed = sealer.seal("token=abc").unwrap();
        assert!(!sealed.contains("abc"));
        assert_eq!(key.open(&sealed).as_deref(), Some("token=abc"));
        let other = MailKey::new("another secret, just as long as the first one").unwrap();
        assert_eq!(other.open(&sealed), None, "another key opens nothing");
        assert_ne!(sealer.seal("token=abc").unwrap(), sealed, "each box has its own key");
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(key.open(&String::from_utf8(tampered).unwrap()), None);
    }

    #[test]
    fn keys_are_refused_when_short_or_malformed() {
        assert!(matches!(MailKey::new("short"), Err(MailKeyError::TooShort)));
        assert!(matches!(
            MailSealer::new("not base64!"),
            Err(MailKeyError::NotAPublicKey)
        ));
        assert!(matches!(MailSealer::new("AAAA"), Err(MailKeyError::NotAPublicKey)));
    }
}
