//! Lambda entry point of the SIM import worker (SQS event source with `ReportBatchItemFailures`).

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    stratum_infra::logging::init();
    let services = stratum_infra::config::aws_services().await?;
    let sims = stratum_infra::config::aws_sims(&services).await?;
    let sims = &sims;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(stratum_sims_import::handle(sims, event.payload).await)
    }))
    .await
}
