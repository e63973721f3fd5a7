//! The telemetry ingest worker: the IoT Core rule on `devices/+/telemetry` puts each message,
//! with the topic's device id, the client id and the receive time, on an SQS queue; each
//! batch's messages are ingested one by one. A message refused (impersonation, unknown or
//! retired device, not the format) is logged with its reason and counted, never retried: one
//! bad message never holds up the ones behind it. Only a failure to store is reported back
//! (partial batch response), so SQS redelivers just those; ingest is idempotent.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use stratum_infra::outcomes::log_outcome;
use stratum_shared::telemetry::{Envelope, Outcome, Telemetry};

/// What a batch came to, for the log line that counts it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub stored: usize,
    pub repeated: usize,
    pub refused: usize,
    pub failed: usize,
}

pub async fn handle(telemetry: &Telemetry, event: SqsEvent) -> (SqsBatchResponse, Tally) {
    let mut response = SqsBatchResponse::default();
    let mut tally = Tally::default();
    let mut ids: Vec<String> = Vec::new();
    let mut envelopes: Vec<Envelope> = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        match record.body.as_deref().map(serde_json::from_str::<Envelope>) {
            Some(Ok(envelope)) => {
                ids.push(id);
                envelopes.push(envelope);
            }
            other => {
                let reason = other.map_or("empty".to_owned(), |e| {
                    e.err().map(|e| e.to_string()).unwrap_or_default()
                });
                tracing::warn!(sqs_message_id = %id, %reason, refusal = "malformed", "a telemetry message was refused");
                tally.refused += 1;
            }
        }
    }
    let outcomes = match telemetry.ingest_batch(&envelopes).await {
        Ok(outcomes) => outcomes,
        Err(error) => {
            tracing::error!(%error, messages = envelopes.len(), "telemetry could not be stored");
            vec![Outcome::Failed; envelopes.len()]
        }
    };
    for ((id, envelope), outcome) in ids.into_iter().zip(&envelopes).zip(outcomes) {
        log_outcome(&id, envelope, &outcome);
        match outcome {
            Outcome::Stored { .. } => tally.stored += 1,
            Outcome::Repeated => tally.repeated += 1,
            Outcome::Refused(_) => tally.refused += 1,
            Outcome::Failed => {
                tally.failed += 1;
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
        }
    }
    tracing::info!(
        stored = tally.stored,
        repeated = tally.repeated,
        refused = tally.refused,
        failed = tally.failed,
        "telemetry batch"
    );
    (response, tally)
}
