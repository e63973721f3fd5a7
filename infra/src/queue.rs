//! The outbox's queue on AWS: SQS. Messages carry the outbox message as JSON; the notifier
//! drops duplicates by message id, so SQS's at-least-once delivery is fine.

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use stratum_shared::outbox::{OutboxMessage, Queue};

/// SQS accepts at most this many messages per batch.
const SQS_BATCH: usize = 10;

pub struct SqsQueue {
    client: Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(config: &aws_config::SdkConfig, queue_url: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            queue_url: queue_url.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, messages: &[OutboxMessage]) -> Result<(), String> {
        for chunk in messages.chunks(SQS_BATCH) {
            let entries = chunk
                .iter()
                .map(|message| {
                    let body = serde_json::to_string(message).map_err(|e| e.to_string())?;
                    SendMessageBatchRequestEntry::builder()
                        .id(message.id.to_string())
                        .message_body(body)
                        .build()
                        .map_err(|e| e.to_string())
                })
                .collect::<Result<Vec<_>, String>>()?;
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| DisplayErrorContext(e).to_string())?;
            if let Some(failed) = output.failed().first() {
                return Err(format!(
                    "SQS refused message {}: {}",
                    failed.id(),
                    failed.message().unwrap_or("no reason given")
                ));
            }
        }
        Ok(())
    }
}
