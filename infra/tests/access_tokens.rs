//! Access tokens: only EdDSA tokens signed by a trusted key, for this issuer and audience,
//! inside their lifetime, pass. Each forged or stale variant below is refused.
#![cfg(feature = "crypto")]

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use stratum_infra::crypto::JwtKeys;
use stratum_shared::ids::{SessionId, UserId};
use stratum_shared::ports::{AccessClaims, AccessTokens};
use stratum_shared::time::Timestamp;

const SECRET: &str = "k9bQzR0v4c2mS7uYtW1xPe8LhJ5nA3dFgK6sV0qZ";

fn keys() -> JwtKeys {
    JwtKeys::new(SECRET, &[], "stratum", "stratum-api", 900).unwrap()
}

fn now() -> Timestamp {
    Timestamp::new(Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap())
}

fn claims() -> AccessClaims {
    AccessClaims {
        user_id: UserId::generate(),
        session_id: SessionId::generate(),
        session_started_at: now(),
    }
}

fn part(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn decode_part(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// A token's header and payload, for forging variants of it.
fn parts_of(token: &str) -> (Value, Value, String) {
    let pieces: Vec<&str> = token.split('.').collect();
    (decode_part(pieces[0]), decode_part(pieces[1]), pieces[2].to_owned())
}

#[test]
fn a_genuine_token_passes_and_names_its_user_and_session() {
    let claims = claims();
    let token = keys().issue(&claims, now()).unwrap();
    let (header, payload, _) = parts_of(&token);

    assert_eq!(keys().verify(&token, now()), Some(claims.clone()));
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"].as_str(), keys().kid());
    for claim in ["sub", "iss", "aud", "exp", "iat", "jti"] {
        assert!(payload.get(claim).is_some(), "the token carries {claim}");
    }
    assert_eq!(
        payload["exp"].as_i64().unwrap() - payload["iat"].as_i64().unwrap(),
        900,
        "15 minutes"
    );
}

#[test]
fn alg_none_is_refused() {
    let (mut header, payload, _) = parts_of(&keys().issue(&claims(), now()).unwrap());
    header["alg"] = json!("none");
    let token = format!("{}.{}.", part(&header), part(&payload));
    assert_eq!(keys().verify(&token, now()), None);
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    let (mut header, payload, _) = parts_of(&keys().issue(&claims(), now()).unwrap());
    header["alg"] = json!("HS256");
    let signing_input = format!("{}.{}", part(&header), part(&payload));
    let public_key = JwtKeys::public_key(SECRET).unwrap();
    for secret in [STANDARD.decode(&public_key).unwrap(), public_key.into_bytes()] {
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &secret), signing_input.as_bytes());
        let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()));
        assert_eq!(keys().verify(&token, now()), None);
    }
}

#[test]
fn an_expired_token_is_refused() {
    let token = keys().issue(&claims(), now()).unwrap();
    assert!(
        keys()
            .verify(&token, now().plus(chrono::Duration::seconds(899)))
            .is_some()
    );
    assert_eq!(keys().verify(&token, now().plus(chrono::Duration::minutes(16))), None);
}

#[test]
fn a_token_not_yet_valid_is_refused() {
    let token = keys()
        .issue(&claims(), now().plus(chrono::Duration::minutes(5)))
        .unwrap();
    assert_eq!(keys().verify(&token, now()), None);
}

#[test]
fn a_token_for_another_issuer_or_audience_is_refused() {
    let other_issuer = JwtKeys::new(SECRET, &[], "someone-else", "stratum-api", 900).unwrap();
    let other_audience = JwtKeys::new(SECRET, &[], "stratum", "another-api", 900).unwrap();
    assert_eq!(
        keys().verify(&other_issuer.issue(&claims(), now()).unwrap(), now()),
        None
    );
    assert_eq!(
        keys().verify(&other_audience.issue(&claims(), now()).unwrap(), now()),
        None
    );
}

#[test]
fn a_tampered_payload_is_refused() {
    let (header, mut payload, signature) = parts_of(&keys().issue(&claims(), now()).unwrap());
    payload["sub"] = json!(UserId::generate().to_string());
    let token = format!("{}.{}.{signature}", part(&header), part(&payload));
    assert_eq!(keys().verify(&token, now()), None);
}

#[test]
fn a_token_from_an_unknown_key_is_refused_whatever_kid_it_claims() {
    let stranger = JwtKeys::new(
        "a-completely-different-signing-secret-value",
        &[],
        "stratum",
        "stratum-api",
        900,
    )
    .unwrap();
    let token = stranger.issue(&claims(), now()).unwrap();
    assert_eq!(keys().verify(&token, now()), None, "unknown kid");

    let (mut header, payload, signature) = parts_of(&token);
    header["kid"] = json!(keys().kid());
    let relabelled = format!("{}.{}.{signature}", part(&header), part(&payload));
    assert_eq!(
        keys().verify(&relabelled, now()),
        None,
        "a known kid does not make a foreign signature valid"
    );
}

#[test]
fn tokens_of_a_rotated_out_key_pass_while_it_is_still_trusted() {
    let old_secret = "the-previous-signing-secret-that-was-rotated";
    let old = JwtKeys::new(old_secret, &[], "stratum", "stratum-api", 900).unwrap();
    let token = old.issue(&claims(), now()).unwrap();
    let rotated = JwtKeys::new(
        SECRET,
        &[JwtKeys::public_key(old_secret).unwrap()],
        "stratum",
        "stratum-api",
        900,
    )
    .unwrap();
    assert!(rotated.verify(&token, now()).is_some());
    assert_eq!(keys().verify(&token, now()), None);
}

#[test]
fn a_short_signing_secret_is_refused() {
    assert!(JwtKeys::new("too-short", &[], "stratum", "stratum-api", 900).is_err());
}

#[test]
fn a_function_that_only_verifies_accepts_the_signers_tokens_and_issues_none() {
    let signer = keys();
    let claims = claims();
    let token = signer.issue(&claims, now()).unwrap();
    let verifier = JwtKeys::verifier(&[JwtKeys::public_key(SECRET).unwrap()], "stratum", "stratum-api", 900).unwrap();
    assert_eq!(verifier.verify(&token, now()), Some(claims.clone()));
    assert!(verifier.issue(&claims, now()).is_err(), "no signing key, no tokens");
    assert_eq!(verifier.kid(), None);
    let nobody = JwtKeys::verifier(&[], "stratum", "stratum-api", 900).unwrap();
    assert_eq!(nobody.verify(&token, now()), None, "trusting no key accepts no token");
    assert!(
        JwtKeys::verifier(&["AAAA".into()], "stratum", "stratum-api", 900).is_err(),
        "not an Ed25519 key"
    );
}

#[test]
fn the_published_keys_are_the_signing_key_first_then_the_others_trusted() {
    let old = JwtKeys::public_key("the-previous-signing-secret-that-was-rotated").unwrap();
    let keys = JwtKeys::new(
        SECRET,
        &[old.clone(), JwtKeys::public_key(SECRET).unwrap()],
        "stratum",
        "stratum-api",
        900,
    )
    .unwrap();
    let published = keys.verification_keys();
    assert_eq!(published.len(), 2, "the signing key is listed once");
    assert_eq!(Some(published[0].kid.as_str()), keys.kid());
    assert!(keys.trusts(&old));
}
