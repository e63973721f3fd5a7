//! Lambda entry point of housekeeping (EventBridge schedule). The device caches of the sweep
//! live as long as the container.

use lambda_runtime::{LambdaEvent, service_fn};
use std::sync::Arc;
use stratum_shared::telemetry::{TargetCache, Telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    stratum_infra::logging::init();
    let services = stratum_infra::config::aws_services().await?;
    let identity = &services.identity;
    let telemetry = Telemetry {
        store: identity.store.clone(),
        clock: identity.clock.clone(),
        targets: Arc::new(TargetCache::default()),
        notices: stratum_shared::alerts::Notices::of(identity),
    };
    let (services, telemetry) = (&services, &telemetry);
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| async move {
        Ok::<_, lambda_runtime::Error>(stratum_housekeeping::handle(services, telemetry, event.payload).await?)
    }))
    .await
}
