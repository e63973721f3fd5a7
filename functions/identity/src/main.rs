//! Lambda entry point of the identity function: clients and keys built once at init.

use std::sync::Arc;
use stratum_infra::config;
use stratum_infra::crypto::{Argon2Hasher, RandomSecrets};
use stratum_infra::store::dynamodb::DynamoStore;
use stratum_shared::clock::{Clock, SystemClock};
use stratum_shared::identity::Identity;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    stratum_infra::logging::init();
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = DynamoStore::new(&aws, config::required("STRATUM_TABLE")?, clock.clone());
    let identity = Identity {
        store: Arc::new(store),
        clock,
        hasher: Arc::new(Argon2Hasher::default()),
        secrets: Arc::new(RandomSecrets),
        tokens: Arc::new(config::jwt_keys(&config::required("STRATUM_JWT_SIGNING_KEY")?)?),
        settings: config::identity_settings("http://localhost:3000"),
    };
    config::bootstrap_admin(&identity).await?;
    stratum_infra::lambda::serve(stratum_identity::api(identity).into_router()).await
}
