use async_trait::async_trait;
use std::sync::Arc;
use stratum_shared::outbox::deliver;
use stratum_shared::ports::{Clock, MailOpen, Mailer, OutboxMessage, PortError, Queue, Refusal, Store};

/// The local stand-in for SQS + the notifier: a relayed message is delivered at once, with the
/// same once-per-message rule the notifier applies; one that cannot be delivered is refused,
/// so the relay tries it again (and eventually parks it) while the rest go out.
pub struct InProcessQueue {
    pub store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    /// The notifier's key, which opens the sealed e-mail.
    pub mail_key: Arc<dyn MailOpen>,
}

#[async_trait]
impl Queue for InProcessQueue {
    async fn send(&self, messages: &[OutboxMessage]) -> Result<Vec<Refusal>, PortError> {
        let mut refusals = Vec::new();
        for message in messages {
            // Locally a refusal counts towards parking whatever its cause (a message that
            // cannot be unsealed, a mail file that cannot be written), so no message can sit
            // at the head of the outbox for ever; the ones behind it go out meanwhile.
            if let Err(error) = deliver(
                &*self.store,
                &*self.mailer,
                &*self.clock,
                &*self.mail_key,
                message,
                None,
            )
            .await
            {
                refusals.push(Refusal {
                    id: message.id,
                    reason: error.to_string(),
                    permanent: true,
                });
            }
        }
        Ok(refusals)
    }
}
