//! Password hashing: argon2id with SPEC §4's parameters, kept in the PHC string.
#![cfg(feature = "crypto")]

use stratum_infra::crypto::{AesGcmSecretBox, Argon2Hasher};
use stratum_shared::accounts::Password;
use stratum_shared::ports::PasswordHasher;

#[tokio::test]
async fn passwords_are_hashed_with_argon2id_and_verified_exactly_as_typed() {
    let hasher = Argon2Hasher::default();
    let typed = " correct horse battery staple ";
    let hash = hasher.hash(&Password::parse(typed, &[]).unwrap()).await;

    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    assert!(hasher.verify(typed, &hash).await);
    assert!(!hasher.verify(typed.trim(), &hash).await, "never trimmed");
    assert!(!hasher.verify("correct horse battery stapl", &hash).await);
    assert!(!hasher.verify(typed, "not a phc string").await);
}

#[tokio::test]
async fn a_long_password_is_never_truncated() {
    let hasher = Argon2Hasher::default();
    let long = format!("{}tail", "a very long passphrase indeed ".repeat(20));
    let hash = hasher.hash(&Password::parse(&long, &[]).unwrap()).await;
    let other_tail = format!("{}TAIL", "a very long passphrase indeed ".repeat(20));
    assert!(hasher.verify(&long, &hash).await);
    assert!(!hasher.verify(&other_tail, &hash).await);
}

mod secrets_at_rest {
    use stratum_infra::crypto::AesGcmSecretBox;
    use stratum_shared::tenancy::SecretBox;

    const KEY: &str = "a-data-encryption-secret-of-enough-length";

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_never_shows_its_plaintext() {
        let sealed_box = AesGcmSecretBox::new(KEY).unwrap();
        let sealed = sealed_box.seal("sk_live_51Hxyz").unwrap();
        assert!(!sealed.contains("sk_live"));
        assert_eq!(sealed_box.open(&sealed).as_deref(), Some("sk_live_51Hxyz"));
        assert_ne!(
            sealed_box.seal("sk_live_51Hxyz").unwrap(),
            sealed,
            "a fresh nonce every time"
        );
        let other = AesGcmSecretBox::new("another-data-encryption-secret-value").unwrap();
        assert_eq!(other.open(&sealed), None);
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(sealed_box.open(&tampered), None);
    }
}

#[test]
fn a_function_without_the_data_key_refuses_to_seal_and_opens_nothing() {
    use stratum_shared::tenancy::SecretBox;
    let sealed = AesGcmSecretBox::new("a-data-key-of-at-least-thirty-two-characters")
        .unwrap()
        .seal("secret")
        .unwrap();
    let none = stratum_infra::crypto::NoDataKey;
    assert!(none.seal("secret").is_err());
    assert_eq!(none.open(&sealed), None);
}
