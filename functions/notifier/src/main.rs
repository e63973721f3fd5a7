//! Lambda entry point of the notifier (SQS event source with `ReportBatchItemFailures`).

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use std::sync::Arc;
use stratum_infra::config;
use stratum_infra::mail::SesMailer;
use stratum_infra::store::dynamodb::DynamoStore;
use stratum_notifier::Notifier;
use stratum_shared::clock::SystemClock;
use stratum_shared::ports::Clock;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    stratum_infra::logging::init();
    let aws = stratum_infra::aws::sdk_config().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let notifier = Notifier {
        store: Arc::new(DynamoStore::new(
            &aws,
            config::required("STRATUM_TABLE")?,
            clock.clone(),
        )),
        mailer: Arc::new(SesMailer::new(&aws, config::required("STRATUM_MAIL_FROM")?)),
        clock,
        mail_key: Arc::new(config::mail_key()?),
        notice_queue_arn: config::required("STRATUM_NOTICE_QUEUE_ARN")?,
    };
    let notifier = &notifier;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(notifier.handle(event.payload).await)
    }))
    .await
}
