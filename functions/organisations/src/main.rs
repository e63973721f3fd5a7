//! Lambda entry point of the organisations function: clients and keys built once at init.

use std::sync::Arc;
use stratum_infra::config;
use stratum_infra::crypto::{AesGcmSecretBox, Argon2Hasher, RandomSecrets};
use stratum_infra::store::dynamodb::DynamoStore;
use stratum_organisations::Organisations;
use stratum_shared::clock::{Clock, SystemClock};
use stratum_shared::identity::Identity;
use stratum_shared::store::Store;
use stratum_shared::tenancy::Tenancy;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    stratum_infra::logging::init();
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store: Arc<dyn Store> = Arc::new(DynamoStore::new(
        &aws,
        config::required("STRATUM_TABLE")?,
        clock.clone(),
    ));
    let identity = Identity {
        store: store.clone(),
        clock: clock.clone(),
        hasher: Arc::new(Argon2Hasher::default()),
        secrets: Arc::new(RandomSecrets),
        tokens: Arc::new(config::jwt_keys(&config::required("STRATUM_JWT_SIGNING_KEY")?)?),
        settings: config::identity_settings("http://localhost:3000"),
    };
    let state = Organisations {
        tenancy: Tenancy::new(
            &identity,
            Arc::new(AesGcmSecretBox::new(&config::required("STRATUM_DATA_KEY")?)?),
        ),
        identity,
    };
    stratum_infra::lambda::serve(stratum_organisations::api(state).into_router()).await
}
