//! Lambda entry point of housekeeping (EventBridge schedule).

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    stratum_infra::logging::init();
    let services = stratum_infra::config::aws_services().await?;
    let services = &services;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| async move {
        Ok::<_, lambda_runtime::Error>(stratum_housekeeping::handle(services, event.payload).await?)
    }))
    .await
}
