//! Crypto adapters of the identity ports: argon2id password hashing, random tokens and their
//! digests (AWS-LC), and EdDSA (Ed25519) access tokens.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};
use stratum_shared::accounts::Password;
use stratum_shared::error::{DomainError, DomainResult};
use stratum_shared::ids::{SessionId, UserId};
use stratum_shared::ports::{AccessClaims, AccessTokens, PasswordHasher, Secrets, VerificationKey};
use stratum_shared::time::Timestamp;

/// SPEC §4's floor for argon2id: 19 MiB, 2 passes, 1 lane. Kept in each PHC string, so it
/// can be raised later without invalidating stored hashes.
const ARGON2_MEMORY_KIB: u32 = 19_456;
const ARGON2_PASSES: u32 = 2;
const ARGON2_LANES: u32 = 1;

/// A hash of a random password nobody knows, with the parameters above: verifying against it
/// costs what verifying a real password costs. A constant, so no hashing happens at start-up.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$WZquckYdb/H5ZVv9Qyl3/w$coYDYdkgqKbHbdqWM34T3W/KJTTXAjdfqeArSRMIDWk";

/// argon2id with the parameters above. Hashing runs on the blocking pool.
#[derive(Clone)]
pub struct Argon2Hasher {
    argon2: Argon2<'static>,
}

impl Default for Argon2Hasher {
    fn default() -> Self {
        let params =
            Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES, None).expect("valid argon2 parameters");
        Self {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        }
    }
}

impl Argon2Hasher {
    fn verify_blocking(&self, password: &str, hash: &str) -> bool {
        PasswordHash::new(hash).is_ok_and(|parsed| self.argon2.verify_password(password.as_bytes(), &parsed).is_ok())
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> String {
        let (hasher, password) = (self.clone(), password.expose().to_owned());
        tokio::task::spawn_blocking(move || {
            hasher
                .argon2
                .hash_password(password.as_bytes())
                .expect("argon2 hashes")
                .to_string()
        })
        .await
        .expect("hashing completes")
    }

    async fn verify(&self, password: &str, hash: &str) -> bool {
        let (hasher, password, hash) = (self.clone(), password.to_owned(), hash.to_owned());
        tokio::task::spawn_blocking(move || hasher.verify_blocking(&password, &hash))
            .await
            .unwrap_or(false)
    }

    async fn waste_time(&self, password: &str) {
        self.verify(password, DECOY_HASH).await;
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    SystemRandom::new().fill(&mut bytes).expect("the system CSPRNG works");
    bytes
}

/// Tokens of 256 random bits (URL-safe base64), stored as SHA-256 hex digests.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomSecrets;

impl Secrets for RandomSecrets {
    fn token(&self) -> String {
        URL_SAFE_NO_PAD.encode(random_bytes::<32>())
    }

    fn digest(&self, token: &str) -> String {
        digest(&SHA256, token.as_bytes())
            .as_ref()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    sid: String,
    /// When the session began, in Unix milliseconds.
    #[serde(default)]
    sst: i64,
    iss: String,
    aud: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: String,
}

/// Shortest signing secret accepted: 32 characters of base64 carry 192 bits.
const MIN_SECRET_CHARS: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("a previous public key is not base64: {0}")]
    Encoding(String),
    #[error("the signing secret is shorter than 32 characters")]
    TooShort,
    #[error("no Ed25519 key can be made from the signing secret")]
    NotEd25519,
}

/// Signs access tokens with an Ed25519 key (the identity function only) and verifies them
/// against that key and the other public keys trusted (the previous key during a rotation),
/// chosen by `kid`. A verifier holds public keys only.
pub struct JwtKeys {
    signing: Option<(String, EncodingKey)>,
    /// By `kid`, in the order trusted (the signing key's first).
    verifying: Vec<(String, Vec<u8>, DecodingKey)>,
    issuer: String,
    audience: String,
    lifetime_seconds: u64,
}

/// Tolerated clock difference between machines, in seconds.
const LEEWAY_SECONDS: i64 = 30;

impl JwtKeys {
    /// A new random signing secret (256 bits, URL-safe base64), as configuration holds it.
    pub fn generate_signing_key() -> String {
        RandomSecrets.token()
    }

    /// Keys from configuration: the signing secret, from which the Ed25519 key is derived
    /// (its seed is the secret's SHA-256, so any high-entropy text works), and the base64 raw
    /// public keys also trusted (a previous signing key's during a rotation; listing the
    /// signing key's own is harmless).
    pub fn new(
        signing_secret: &str,
        trusted_public_keys: &[String],
        issuer: &str,
        audience: &str,
        lifetime_seconds: u64,
    ) -> Result<Self, KeyError> {
        let pair = key_pair(signing_secret)?;
        let pkcs8 = pair.to_pkcs8().map_err(|_| KeyError::NotEd25519)?;
        let own = STANDARD.encode(pair.public_key().as_ref());
        let trusted: Vec<String> = std::iter::once(own)
            .chain(trusted_public_keys.iter().cloned())
            .collect();
        let mut keys = Self::verifier(&trusted, issuer, audience, lifetime_seconds)?;
        keys.signing = Some((
            key_id(pair.public_key().as_ref()),
            EncodingKey::from_ed_der(pkcs8.as_ref()),
        ));
        Ok(keys)
    }

    /// Keys that only verify: the base64 raw public keys trusted (`STRATUM_JWT_PUBLIC_KEYS`).
    pub fn verifier(
        trusted_public_keys: &[String],
        issuer: &str,
        audience: &str,
        lifetime_seconds: u64,
    ) -> Result<Self, KeyError> {
        let mut verifying: Vec<(String, Vec<u8>, DecodingKey)> = Vec::new();
        for key in trusted_public_keys
            .iter()
            .map(|key| key.trim())
            .filter(|key| !key.is_empty())
        {
            let public = STANDARD.decode(key).map_err(|e| KeyError::Encoding(e.to_string()))?;
            if public.len() != 32 {
                return Err(KeyError::Encoding(format!(
                    "an Ed25519 public key has 32 bytes, not {}",
                    public.len()
                )));
            }
            let kid = key_id(&public);
            if verifying.iter().all(|(known, _, _)| *known != kid) {
                let decoding = DecodingKey::from_ed_der(&public);
                verifying.push((kid, public, decoding));
            }
        }
        Ok(Self {
            signing: None,
            verifying,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            lifetime_seconds,
        })
    }

    /// The base64 raw public key of a signing secret (what `JwtPublicKeys` lists).
    pub fn public_key(signing_secret: &str) -> Result<String, KeyError> {
        Ok(STANDARD.encode(key_pair(signing_secret)?.public_key().as_ref()))
    }

    /// The signing key's id; none for a verifier.
    pub fn kid(&self) -> Option<&str> {
        self.signing.as_ref().map(|(kid, _)| kid.as_str())
    }

    /// Whether tokens signed by the key with this base64 public key are accepted.
    pub fn trusts(&self, public_key: &str) -> bool {
        STANDARD
            .decode(public_key.trim())
            .is_ok_and(|public| self.verifying.iter().any(|(_, known, _)| *known == public))
    }
}

fn key_pair(signing_secret: &str) -> Result<Ed25519KeyPair, KeyError> {
    let secret = signing_secret.trim();
    if secret.len() < MIN_SECRET_CHARS {
        return Err(KeyError::TooShort);
    }
    Ed25519KeyPair::from_seed_unchecked(digest(&SHA256, secret.as_bytes()).as_ref()).map_err(|_| KeyError::NotEd25519)
}

/// A key's id: the first 16 characters of the URL-safe base64 SHA-256 of its public key.
fn key_id(public_key: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, public_key).as_ref())[..16].to_owned()
}

impl AccessTokens for JwtKeys {
    fn issue(&self, claims: &AccessClaims, now: Timestamp) -> DomainResult<String> {
        let Some((kid, signing)) = &self.signing else {
            return Err(DomainError::Internal(
                "this function holds no signing key; only identity issues tokens".into(),
            ));
        };
        let issued_at = now.unix_seconds();
        let claims = Claims {
            sub: claims.user_id.to_string(),
            sid: claims.session_id.to_string(),
            sst: claims.session_started_at.unix_millis(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: issued_at,
            nbf: issued_at,
            exp: issued_at + self.lifetime_seconds as i64,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let mut header = Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(kid.clone());
        encode(&header, &claims, signing).map_err(|e| DomainError::Internal(format!("signing an access token: {e}")))
    }

    fn verify(&self, token: &str, now: Timestamp) -> Option<AccessClaims> {
        let header = decode_header(token).ok()?;
        let kid = header.kid.as_deref()?;
        let (_, _, key) = self.verifying.iter().find(|(known, _, _)| known == kid)?;
        // Only EdDSA: `none`, HMAC (with a public key as the secret) and others are refused.
        let mut validation = Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        // Times are checked below against the injected clock, not the system's.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let claims = decode::<Claims>(token, key, &validation).ok()?.claims;
        let now = now.unix_seconds();
        if now >= claims.exp + LEEWAY_SECONDS || now + LEEWAY_SECONDS < claims.nbf {
            return None;
        }
        Some(AccessClaims {
            user_id: UserId::parse(&claims.sub, "sub").ok()?,
            session_id: SessionId::parse(&claims.sid, "sid").ok()?,
            session_started_at: Timestamp::from_unix_millis(claims.sst)?,
        })
    }

    fn lifetime_seconds(&self) -> u64 {
        self.lifetime_seconds
    }

    fn verification_keys(&self) -> Vec<VerificationKey> {
        self.verifying
            .iter()
            .map(|(kid, public, _)| VerificationKey {
                kid: kid.clone(),
                public_key: public.clone(),
            })
            .collect()
    }
}

/// AES-256-GCM for secrets at rest (payment provider secrets, later TOTP seeds and webhook
/// secrets). The key is the SHA-256 of a configured secret; each value gets a fresh random
/// 96-bit nonce and is stored as `v1.` + base64(nonce ‖ ciphertext ‖ tag).
pub struct AesGcmSecretBox {
    key: aws_lc_rs::aead::LessSafeKey,
    /// For keyed digests: derived from the same secret, never used to encrypt.
    mac_key: aws_lc_rs::hmac::Key,
}

const SEALED_PREFIX: &str = "v1.";
const NONCE_BYTES: usize = 12;

impl AesGcmSecretBox {
    pub fn new(secret: &str) -> Result<Self, KeyError> {
        let secret = secret.trim();
        if secret.len() < MIN_SECRET_CHARS {
            return Err(KeyError::TooShort);
        }
        let key_bytes = digest(&SHA256, secret.as_bytes());
        let unbound = aws_lc_rs::aead::UnboundKey::new(&aws_lc_rs::aead::AES_256_GCM, key_bytes.as_ref())
            .map_err(|_| KeyError::NotEd25519)?;
        let derivation = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
        let mac_key_bytes = aws_lc_rs::hmac::sign(&derivation, b"stratum keyed digests v1");
        Ok(Self {
            key: aws_lc_rs::aead::LessSafeKey::new(unbound),
            mac_key: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, mac_key_bytes.as_ref()),
        })
    }
}

/// The secret box of a function that holds no data key (housekeeping): it seals and opens
/// nothing, and says so rather than pretending.
pub struct NoDataKey;

impl stratum_shared::tenancy::SecretBox for NoDataKey {
    fn seal(&self, _plaintext: &str) -> DomainResult<String> {
        Err(DomainError::Internal(
            "this function holds no data key; it cannot seal".into(),
        ))
    }

    fn open(&self, _sealed: &str) -> Option<String> {
        None
    }

    fn mac(&self, _text: &str) -> DomainResult<String> {
        Err(DomainError::Internal(
            "this function holds no data key; it cannot take keyed digests".into(),
        ))
    }
}

impl stratum_shared::tenancy::SecretBox for AesGcmSecretBox {
    fn seal(&self, plaintext: &str) -> DomainResult<String> {
        let nonce_bytes = random_bytes::<NONCE_BYTES>();
        let nonce = aws_lc_rs::aead::Nonce::assume_unique_for_key(nonce_bytes);
        let mut sealed = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(nonce, aws_lc_rs::aead::Aad::empty(), &mut sealed)
            .expect("sealing a short value works");
        let mut out = nonce_bytes.to_vec();
        out.extend(sealed);
        Ok(format!("{SEALED_PREFIX}{}", STANDARD.encode(out)))
    }

    fn open(&self, sealed: &str) -> Option<String> {
        let bytes = STANDARD.decode(sealed.strip_prefix(SEALED_PREFIX)?).ok()?;
        if bytes.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce = aws_lc_rs::aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buffer = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, aws_lc_rs::aead::Aad::empty(), &mut buffer)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }

    fn mac(&self, text: &str) -> DomainResult<String> {
        let tag = aws_lc_rs::hmac::sign(&self.mac_key, text.as_bytes());
        Ok(tag.as_ref().iter().map(|byte| format!("{byte:02x}")).collect())
    }
}
