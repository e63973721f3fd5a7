//! The notifier: consumes outbox messages from SQS and sends each e-mail once. Failures are
//! reported per message (partial batch response), so SQS redelivers only those; a message
//! that keeps failing ends in the dead-letter queue.
//!
//! The notice queue carries notices only: the functions that write its outbox lane (ingest,
//! housekeeping) hold the public key that seals mail, so one of them, subverted, could seal a
//! password-reset look-alike; from that queue, anything but a notice is refused.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use std::sync::Arc;
use stratum_shared::mail::Lane;
use stratum_shared::outbox::deliver;
use stratum_shared::ports::{Clock, MailOpen, Mailer, OutboxMessage, Store};

pub struct Notifier {
    pub store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    /// Opens the messages (their links carry tokens, sealed until rendered): the private key
    /// only the notifier holds.
    pub mail_key: Arc<dyn MailOpen>,
    /// The notice queue's ARN: its records must be notices.
    pub notice_queue_arn: String,
}

impl Notifier {
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for record in event.records {
            let id = record.message_id.clone().unwrap_or_default();
            let only =
                (record.event_source_arn.as_deref() == Some(self.notice_queue_arn.as_str())).then_some(Lane::Notices);
            let outcome = match record.body.as_deref().map(serde_json::from_str::<OutboxMessage>) {
                Some(Ok(message)) => deliver(
                    &*self.store,
                    &*self.mailer,
                    &*self.clock,
                    &*self.mail_key,
                    &message,
                    only,
                )
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
                Some(Err(error)) => Err(format!("not an outbox message: {error}")),
                None => Err("empty message".to_owned()),
            };
            if let Err(error) = outcome {
                tracing::error!(sqs_message_id = %id, %error, "delivery failed");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
        }
        response
    }
}
