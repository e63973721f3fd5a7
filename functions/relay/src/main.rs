//! Lambda entry point of the relay (DynamoDB stream and schedule; the event is only a
//! wake-up, the outbox itself says what to send).

use lambda_runtime::{LambdaEvent, service_fn};
use std::sync::Arc;
use stratum_infra::config;
use stratum_infra::queue::SqsQueue;
use stratum_infra::store::dynamodb::DynamoStore;
use stratum_relay::Queues;
use stratum_shared::clock::SystemClock;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    stratum_infra::logging::init();
    let aws = stratum_infra::aws::sdk_config().await;
    let store = DynamoStore::new(&aws, config::required("STRATUM_TABLE")?, Arc::new(SystemClock));
    let identity = SqsQueue::new(&aws, config::required("STRATUM_QUEUE_URL")?);
    let notices = SqsQueue::new(&aws, config::required("STRATUM_NOTICE_QUEUE_URL")?);
    let queues = Queues {
        identity: &identity,
        notices: &notices,
    };
    let (store, queues) = (&store, &queues);
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| async move {
        Ok::<_, lambda_runtime::Error>(stratum_relay::handle(store, queues, event.payload).await?)
    }))
    .await
}
