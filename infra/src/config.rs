//! Configuration from the environment, read once at start-up (Lambda init or local server
//! start), with errors that name the variable.

use stratum_shared::identity::IdentitySettings;

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

pub fn required(name: &str) -> Result<String, ConfigError> {
    optional(name).ok_or_else(|| ConfigError(format!("{name} is not set")))
}

pub use crate::env::optional;

/// `STRATUM_WEB_URL` (links in e-mails) with `default` when unset.
pub fn identity_settings(default_web_url: &str) -> IdentitySettings {
    IdentitySettings::new(optional("STRATUM_WEB_URL").unwrap_or_else(|| default_web_url.to_owned()))
}

/// Access-token lifetime: 15 minutes, SPEC §4's ceiling.
pub const ACCESS_TOKEN_SECONDS: u64 = 900;

/// The access-token keys of the function that signs (identity, and the local server):
/// `signing_key` (the secret the Ed25519 key is derived from) and the public keys trusted
/// beside it, `STRATUM_JWT_PUBLIC_KEYS` (comma-separated base64; the previous key during a
/// rotation). When that list is set it must name the signing key's own public key, or the
/// functions that only verify would refuse every token this one issues.
#[cfg(feature = "crypto")]
pub fn jwt_keys(signing_key: &str) -> Result<crate::crypto::JwtKeys, ConfigError> {
    let trusted = trusted_public_keys();
    let (issuer, audience) = token_audience();
    let keys = crate::crypto::JwtKeys::new(signing_key, &trusted, &issuer, &audience, ACCESS_TOKEN_SECONDS)
        .map_err(|e| ConfigError(format!("STRATUM_JWT_SIGNING_KEY: {e}")))?;
    let own = crate::crypto::JwtKeys::public_key(signing_key).map_err(|e| ConfigError(e.to_string()))?;
    if !trusted.is_empty() && !trusted.iter().any(|key| key.trim() == own) {
        return Err(ConfigError(format!(
            "STRATUM_JWT_PUBLIC_KEYS does not list the signing key's public key {own}; the functions that verify would refuse its tokens"
        )));
    }
    Ok(keys)
}

/// The access-token keys of a function that only verifies: `STRATUM_JWT_PUBLIC_KEYS`.
#[cfg(feature = "crypto")]
pub fn jwt_verifier() -> Result<crate::crypto::JwtKeys, ConfigError> {
    let (issuer, audience) = token_audience();
    crate::crypto::JwtKeys::verifier(&trusted_public_keys(), &issuer, &audience, ACCESS_TOKEN_SECONDS)
        .map_err(|e| ConfigError(format!("STRATUM_JWT_PUBLIC_KEYS: {e}")))
}

fn trusted_public_keys() -> Vec<String> {
    optional("STRATUM_JWT_PUBLIC_KEYS")
        .map(|keys| {
            keys.split(',')
                .map(|key| key.trim().to_owned())
                .filter(|key| !key.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Issuer and audience, `STRATUM_JWT_ISSUER` / `STRATUM_JWT_AUDIENCE` (default `stratum` /
/// `stratum-api`).
fn token_audience() -> (String, String) {
    (
        optional("STRATUM_JWT_ISSUER").unwrap_or_else(|| "stratum".into()),
        optional("STRATUM_JWT_AUDIENCE").unwrap_or_else(|| "stratum-api".into()),
    )
}

/// What seals e-mail for the notifier: its public key, `STRATUM_MAIL_PUBLIC_KEY` (a function
/// without it sends no e-mail).
#[cfg(feature = "crypto")]
pub fn mail_sealer() -> Result<std::sync::Arc<dyn stratum_shared::ports::MailSeal>, ConfigError> {
    Ok(match optional("STRATUM_MAIL_PUBLIC_KEY") {
        Some(public) => std::sync::Arc::new(
            crate::sealed_mail::MailSealer::new(&public)
                .map_err(|e| ConfigError(format!("STRATUM_MAIL_PUBLIC_KEY: {e}")))?,
        ),
        None => std::sync::Arc::new(crate::sealed_mail::NoMailKey),
    })
}

/// The notifier's key, which opens outbox e-mail: from `STRATUM_MAIL_KEY`.
#[cfg(feature = "crypto")]
pub fn mail_key() -> Result<crate::sealed_mail::MailKey, ConfigError> {
    crate::sealed_mail::MailKey::new(&required("STRATUM_MAIL_KEY")?)
        .map_err(|e| ConfigError(format!("STRATUM_MAIL_KEY: {e}")))
}

/// The box that seals secrets at rest, from `STRATUM_DATA_KEY`.
#[cfg(feature = "crypto")]
pub fn data_key() -> Result<crate::crypto::AesGcmSecretBox, ConfigError> {
    crate::crypto::AesGcmSecretBox::new(&required("STRATUM_DATA_KEY")?)
        .map_err(|e| ConfigError(format!("STRATUM_DATA_KEY: {e}")))
}

/// Creates the first platform admin from `STRATUM_BOOTSTRAP_ADMIN_EMAIL` and
/// `STRATUM_BOOTSTRAP_ADMIN_PASSWORD` when both are set and the address is unused.
pub async fn bootstrap_admin(identity: &stratum_shared::identity::Identity) -> Result<(), ConfigError> {
    let (Some(email), Some(password)) = (
        optional("STRATUM_BOOTSTRAP_ADMIN_EMAIL"),
        optional("STRATUM_BOOTSTRAP_ADMIN_PASSWORD"),
    ) else {
        return Ok(());
    };
    match identity.bootstrap_admin(&email, &password).await {
        Ok(Some(user)) => {
            tracing::info!(user_id = %user.id, "created the bootstrap platform admin");
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(error) => Err(ConfigError(format!("bootstrap admin: {error}"))),
    }
}

/// The domain services of a function on AWS, from its environment: the table
/// (`STRATUM_TABLE`), the access-token keys — the signing secret (`STRATUM_JWT_SIGNING_KEY`)
/// where the function signs (identity), otherwise the trusted public keys only
/// (`STRATUM_JWT_PUBLIC_KEYS`) — the data encryption secret (`STRATUM_DATA_KEY`) and the web
/// app's URL. Built once, at init.
#[cfg(all(feature = "dynamodb", feature = "crypto"))]
pub async fn aws_services() -> Result<stratum_shared::invitations::Invitations, ConfigError> {
    use crate::crypto::{Argon2Hasher, RandomSecrets};
    use std::sync::Arc;
    use stratum_shared::clock::SystemClock;
    use stratum_shared::identity::Identity;
    use stratum_shared::ports::Clock;
    use stratum_shared::tenancy::Tenancy;

    let aws = crate::aws::sdk_config().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = crate::store::dynamodb::DynamoStore::new(&aws, required("STRATUM_TABLE")?, clock.clone());
    let identity = Identity {
        store: Arc::new(store),
        clock,
        hasher: Arc::new(Argon2Hasher::default()),
        secrets: Arc::new(RandomSecrets),
        tokens: Arc::new(match optional("STRATUM_JWT_SIGNING_KEY") {
            Some(signing_key) => jwt_keys(&signing_key)?,
            None => jwt_verifier()?,
        }),
        secret_box: match optional("STRATUM_DATA_KEY") {
            Some(_) => Arc::new(data_key()?),
            None => Arc::new(crate::crypto::NoDataKey),
        },
        mail_seal: mail_sealer()?,
        settings: identity_settings("http://localhost:3000"),
    };
    let tenancy = Tenancy::new(&identity, stratum_shared::sims::EndUserRelease::on(&identity));
    Ok(stratum_shared::invitations::Invitations { identity, tenancy })
}

/// What alert e-mails need on AWS: the notifier's public key that seals them in the outbox
/// (`STRATUM_MAIL_PUBLIC_KEY`) and the web app's URL (`STRATUM_WEB_URL`).
#[cfg(feature = "crypto")]
pub fn aws_notices() -> Result<stratum_shared::notices::Notices, ConfigError> {
    Ok(stratum_shared::notices::Notices::new(
        mail_sealer()?,
        identity_settings("http://localhost:3000").web_url,
    ))
}

/// The SIM use cases of a function on AWS: on the services' store, clock and secrets, with
/// import jobs queued to `STRATUM_SIMS_IMPORT_QUEUE_URL` (the `sims-import` worker's queue).
#[cfg(all(feature = "dynamodb", feature = "crypto", feature = "sqs"))]
pub async fn aws_sims(
    services: &stratum_shared::invitations::Invitations,
) -> Result<stratum_shared::sims::Sims, ConfigError> {
    let aws = crate::aws::sdk_config().await;
    let identity = &services.identity;
    Ok(stratum_shared::sims::Sims {
        store: identity.store.clone(),
        clock: identity.clock.clone(),
        secrets: identity.secrets.clone(),
        connectors: stratum_shared::sims::Connectors::default(),
        secret_box: identity.secret_box.clone(),
        notices: stratum_shared::notices::Notices::of(identity),
        jobs: aws_job_queue(&aws)?,
    })
}

/// The device gateway on AWS: IoT Core, with the shared device policy named by
/// `STRATUM_IOT_POLICY_NAME`.
#[cfg(feature = "iot")]
pub fn aws_device_gateway(
    aws: &aws_config::SdkConfig,
) -> Result<std::sync::Arc<dyn stratum_shared::ports::DeviceGateway>, ConfigError> {
    Ok(std::sync::Arc::new(crate::iot::IotGateway::new(
        aws,
        required("STRATUM_IOT_POLICY_NAME")?,
    )))
}

/// The queue of bulk jobs' chunks on AWS: `STRATUM_SIMS_IMPORT_QUEUE_URL`, which the
/// `sims-import` worker consumes (SIM imports, bulk SIM changes and device imports).
#[cfg(feature = "sqs")]
pub fn aws_job_queue(
    aws: &aws_config::SdkConfig,
) -> Result<std::sync::Arc<dyn stratum_shared::ports::JobQueue>, ConfigError> {
    Ok(std::sync::Arc::new(crate::queue::SqsJobQueue::new(
        aws,
        required("STRATUM_SIMS_IMPORT_QUEUE_URL")?,
    )))
}
