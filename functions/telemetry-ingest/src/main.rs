//! Lambda entry point of the telemetry ingest worker (SQS event source with
//! `ReportBatchItemFailures`). The device cache lives as long as the container.

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use std::sync::Arc;
use stratum_infra::store::dynamodb::DynamoStore;
use stratum_shared::clock::SystemClock;
use stratum_shared::telemetry::{TargetCache, Telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    stratum_infra::logging::init();
    let aws = stratum_infra::aws::sdk_config().await;
    let clock = Arc::new(SystemClock);
    let store = DynamoStore::new(&aws, stratum_infra::config::required("STRATUM_TABLE")?, clock.clone());
    let telemetry = Telemetry {
        store: Arc::new(store),
        clock,
        targets: Arc::new(TargetCache::default()),
        notices: stratum_infra::config::aws_notices()?,
    };
    let telemetry = &telemetry;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        let (response, _) = stratum_telemetry_ingest::handle(telemetry, event.payload).await;
        Ok::<_, lambda_runtime::Error>(response)
    }))
    .await
}
