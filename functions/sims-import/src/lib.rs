//! The SIM import worker: each SQS message is one chunk of an import job, processed once
//! (`Sims::run_chunk` records its report with the job's counts, so a redelivered chunk changes
//! nothing). Failures are reported per message (partial batch response), so SQS redelivers
//! only those; a chunk that keeps failing ends in the dead-letter queue.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use stratum_shared::ports::ChunkOfRows;
use stratum_shared::sims::Sims;

/// Deliveries of a chunk before SQS moves it to the dead-letter queue (the queue's
/// `maxReceiveCount` in template.yaml): the last one that fails gives the chunk up, reporting
/// its rows `not_processed`, so its job still completes.
pub const MAX_RECEIVES: u32 = 5;

pub async fn handle(sims: &Sims, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let last_attempt = record
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|count| count.parse::<u32>().ok())
            .is_some_and(|count| count >= MAX_RECEIVES);
        let outcome = match record.body.as_deref().map(serde_json::from_str::<ChunkOfRows>) {
            Some(Ok(chunk)) => match stratum_shared::job_runner::run_chunk(sims, chunk.clone()).await {
                Ok(()) => Ok(()),
                Err(error) if last_attempt => {
                    tracing::error!(sqs_message_id = %id, %error, "an import chunk failed for the last time; giving it up");
                    stratum_shared::job_runner::give_up_chunk(sims, &chunk)
                        .await
                        .map_err(|e| e.to_string())
                }
                Err(error) => Err(error.to_string()),
            },
            Some(Err(error)) => Err(format!("not a chunk of an import: {error}")),
            None => Err("empty message".to_owned()),
        };
        if let Err(error) = outcome {
            tracing::error!(sqs_message_id = %id, %error, "an import chunk failed");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}
