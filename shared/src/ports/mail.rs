//! Mail as ports: the queue relayed messages go to (SQS, or the in-process notifier), the
//! mailer that sends them (SES, or `.eml` files), and the sealed box only the notifier opens.
//! What crosses them is an [`OutboxMessage`]: its content sealed until the notifier renders it.

use super::PortError;
use crate::error::DomainResult;
use crate::ids::MessageId;
use crate::keys;
use crate::mail::{EmailMessage, Lane, RenderedEmail};
use crate::store::{Condition, Item, Write};
use crate::time::Timestamp;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Seals an e-mail for the notifier alone (an X25519 sealed box in `infra`): every function
/// that writes mail to the outbox holds one, but only the notifier can open what it sealed.
pub trait MailSeal: Send + Sync {
    fn seal(&self, plaintext: &str) -> DomainResult<String>;
}

/// Opens what a [`MailSeal`] sealed: the notifier's private key.
pub trait MailOpen: Send + Sync {
    fn open(&self, sealed: &str) -> Option<String>;
}

/// A message in the outbox and on the queue. Its content is sealed (a sealed box only the
/// notifier's private key opens) until the notifier renders it: the links it carries hold
/// confirmation, reset and invitation tokens, which are stored nowhere else in clear (SPEC
/// §10) — not in the outbox, not in the queue, not in its dead-letter queue. Sealed text is
/// base64, so whatever a person typed, the body is ASCII and every queue accepts it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: MessageId,
    #[serde(default)]
    pub lane: Lane,
    pub created_at: Timestamp,
    /// What the message is (`email.confirm_email`…), for logs and operators; never secret.
    pub kind: String,
    pub sealed: String,
    /// How often the queue refused it so far.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refusals: u32,
}

impl OutboxMessage {
    /// `email`, sealed, in its lane.
    pub fn email(seal: &dyn MailSeal, email: &EmailMessage, now: Timestamp) -> crate::error::DomainResult<Self> {
        let content = serde_json::to_string(email).expect("an e-mail message serialises");
        Ok(Self {
            id: MessageId::generate(),
            lane: email.lane(),
            created_at: now,
            kind: format!("email.{}", email.template()),
            sealed: seal.seal(&content)?,
            refusals: 0,
        })
    }

    /// The e-mail this message carries, unsealed.
    pub fn open(&self, key: &dyn MailOpen) -> Result<EmailMessage, String> {
        let content = key
            .open(&self.sealed)
            .ok_or_else(|| format!("message {} cannot be unsealed with this mail key", self.id))?;
        serde_json::from_str(&content).map_err(|e| format!("message {} is not an e-mail: {e}", self.id))
    }

    /// The write that puts this message in its lane's outbox, for the transaction of its cause.
    pub fn write(&self) -> Write {
        Write::Put {
            item: Item::from_record(keys::outbox_message(self.lane, self.id), self),
            condition: Some(Condition::NotExists),
        }
    }
}

/// A message the queue did not take, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub id: MessageId,
    pub reason: String,
    /// The queue refused the message itself (SQS: a sender fault, such as characters it does
    /// not take), so sending it again will fail again; otherwise the fault was the queue's and
    /// a later round may succeed.
    pub permanent: bool,
}

/// Where relayed messages go: SQS on AWS, the in-process notifier locally.
#[async_trait]
pub trait Queue: Send + Sync {
    /// Sends the messages and answers those the queue refused; every other one was taken (a
    /// message may be sent more than once). An error means the queue could not be reached:
    /// nothing is known of any message.
    async fn send(&self, messages: &[OutboxMessage]) -> Result<Vec<Refusal>, PortError>;
}

/// Sends rendered e-mail: SES on AWS, `.eml` files locally.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &RenderedEmail) -> Result<(), PortError>;
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
