//! The outbox's queue on AWS: SQS. Messages carry the outbox message as ASCII JSON (see
//! [`sqs_body`]); the notifier drops duplicates by message id, so SQS's at-least-once
//! delivery is fine. Entries SQS refuses are reported one by one, so the relay can set a
//! message aside without holding up the rest of its batch.

use crate::aws::port_error;
use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use stratum_shared::ports::{OutboxMessage, PortError, Queue, Refusal};

/// SQS accepts at most this many messages per batch…
const SQS_BATCH: usize = 10;
/// …and this many bytes in a batch (and in one message), with room to spare.
const SQS_BATCH_BYTES: usize = 250_000;

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
    async fn send(&self, messages: &[OutboxMessage]) -> Result<Vec<Refusal>, PortError> {
        let mut refusals = Vec::new();
        for chunk in messages.chunks(SQS_BATCH) {
            let entries = chunk
                .iter()
                .map(|message| {
                    SendMessageBatchRequestEntry::builder()
                        .id(message.id.to_string())
                        .message_body(sqs_body(message))
                        .build()
                        .map_err(|e| PortError::Refused(e.to_string()))
                })
                .collect::<Result<Vec<_>, PortError>>()?;
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| port_error("SendMessageBatch", e))?;
            for failed in output.failed() {
                let Some(message) = chunk.iter().find(|m| m.id.to_string() == failed.id()) else {
                    return Err(PortError::Unavailable(format!(
                        "SQS reported an entry it was not sent: {}",
                        failed.id()
                    )));
                };
                refusals.push(Refusal {
                    id: message.id,
                    reason: format!(
                        "SQS refused it ({}, {} fault): {}",
                        failed.code(),
                        if failed.sender_fault() { "sender" } else { "service" },
                        failed.message().unwrap_or("no reason given")
                    ),
                    permanent: failed.sender_fault(),
                });
            }
        }
        Ok(refusals)
    }
}

/// The SQS body of a message: its JSON with every character outside ASCII escaped
/// (`\uXXXX`), so the body holds only characters SQS accepts whatever the message carries
/// (SQS refuses bodies with characters outside #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD |
/// #x10000–#x10FFFF, and serde_json already escapes control characters).
pub fn sqs_body(message: &OutboxMessage) -> String {
    ascii_json(message)
}

/// `value` as JSON with every character outside ASCII escaped (see [`sqs_body`]).
pub fn ascii_json<T: serde::Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).expect("queued messages serialise");
    let mut body = String::with_capacity(json.len());
    for ch in json.chars() {
        if ch.is_ascii() {
            body.push(ch);
        } else {
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                body.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    body
}

/// The chunks of SIM import jobs on AWS: an SQS queue that the `sims-import` worker consumes.
pub struct SqsJobQueue {
    client: Client,
    queue_url: String,
}

impl SqsJobQueue {
    pub fn new(config: &aws_config::SdkConfig, queue_url: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl stratum_shared::ports::JobQueue for SqsJobQueue {
    async fn enqueue(&self, chunks: Vec<stratum_shared::ports::ChunkOfRows>) -> Result<(), PortError> {
        // A batch holds at most 10 messages and 256 KiB in all.
        let mut batches: Vec<Vec<(String, String)>> = vec![];
        let mut bytes = 0;
        for chunk in &chunks {
            let body = ascii_json(chunk);
            let full = batches
                .last()
                .is_none_or(|batch| batch.len() == SQS_BATCH || bytes + body.len() > SQS_BATCH_BYTES);
            if full {
                batches.push(vec![]);
                bytes = 0;
            }
            bytes += body.len();
            batches
                .last_mut()
                .expect("pushed")
                .push((chunk.chunk.to_string(), body));
        }
        for batch in batches {
            let entries = batch
                .into_iter()
                .map(|(id, body)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(id)
                        .message_body(body)
                        .build()
                        .map_err(|e| PortError::Refused(e.to_string()))
                })
                .collect::<Result<Vec<_>, PortError>>()?;
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| port_error("SendMessageBatch", e))?;
            if let Some(failed) = output.failed().first() {
                let reason = format!(
                    "SQS refused chunk {}: {}",
                    failed.id(),
                    failed.message().unwrap_or("no reason given")
                );
                return Err(if failed.sender_fault() {
                    PortError::Refused(reason)
                } else {
                    PortError::Unavailable(reason)
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stratum_shared::ids::MessageId;
    use stratum_shared::time::Timestamp;

    #[test]
    fn a_body_is_ascii_and_reads_back_as_the_same_message() {
        let message = OutboxMessage {
            lane: stratum_shared::mail::Lane::Identity,
            id: MessageId::generate(),
            created_at: Timestamp::new(chrono::Utc::now()),
            kind: "email.invitation \u{FFFF} Zoë 😀 \u{1}".into(),
            sealed: "c2VhbGVk".into(),
            refusals: 0,
        };
        let body = sqs_body(&message);
        assert!(body.is_ascii(), "{body}");
        assert!(!body.chars().any(|c| c.is_ascii_control()), "{body}");
        assert_eq!(serde_json::from_str::<OutboxMessage>(&body).unwrap(), message);
    }
}
