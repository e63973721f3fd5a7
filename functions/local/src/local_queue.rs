use async_trait::async_trait;
use std::sync::Arc;
use stratum_shared::clock::Clock;
use stratum_shared::outbox::{Mailer, OutboxMessage, Queue, deliver};
use stratum_shared::store::Store;

/// The local stand-in for SQS + the notifier: a relayed message is delivered at once, with the
/// same once-per-message rule the notifier applies.
pub struct InProcessQueue {
    store: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
}

impl InProcessQueue {
    pub fn new(store: Arc<dyn Store>, mailer: Arc<dyn Mailer>, clock: Arc<dyn Clock>) -> Self {
        Self { store, mailer, clock }
    }
}

#[async_trait]
impl Queue for InProcessQueue {
    async fn send(&self, messages: &[OutboxMessage]) -> Result<(), String> {
        for message in messages {
            deliver(&*self.store, &*self.mailer, &*self.clock, message)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}
