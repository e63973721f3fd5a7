//! Mail and the outbox: what was e-mailed to an address, read back from the `.eml` folder
//! locally and from moto's record of sent mail on the Lambda entry point (where the outbox is
//! relayed to SQS and handed to the notifier on demand); and the notices waiting in the outbox.

use super::{Transport, World, queues};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use stratum_infra::queue::SqsQueue;
use stratum_infra::store::dynamodb::DynamoStore;
use stratum_notifier::Notifier;
use stratum_shared::mail::Lane;

pub struct Mail {
    pub subject: String,
    pub body: String,
}

impl Mail {
    /// The token in the mail's link (`…?token=…` or `…?invitation=…`).
    pub fn token(&self) -> String {
        let (at, marker) = ["token=", "invitation="]
            .iter()
            .find_map(|marker| self.body.find(marker).map(|at| (at, *marker)))
            .expect("the mail has a link with a token");
        let start = at + marker.len();
        self.body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }
}

/// The AWS path of an e-mail, driven on demand.
pub(super) struct MailPipeline {
    pub(super) moto: &'static stratum_tests::Moto,
    pub(super) store: DynamoStore,
    /// The identity lane's queue, then the notices lane's, each with its URL.
    pub(super) queues: [(SqsQueue, String); 2],
    pub(super) notifier: Notifier,
}

impl World {
    /// Puts `count` notices (sealed, as rules and alerts write them) to `to` in the outbox's
    /// notices lane, as a flood of an organisation's would leave them.
    pub async fn seed_notices(&self, to: &str, count: usize) {
        use stratum_shared::mail::EmailMessage;
        use stratum_shared::ports::OutboxMessage;
        let now = stratum_shared::time::Timestamp::new(self.clock_now());
        let messages: Vec<_> = (0..count)
            .map(|n| {
                let mail = EmailMessage::SimAlert {
                    to: stratum_shared::accounts::Email::parse(to).unwrap(),
                    name: "Backlog".into(),
                    rule: "Flood".into(),
                    iccid: format!("{n}"),
                    what: "One of many.".into(),
                    link: "https://app.stratum.test/".into(),
                };
                OutboxMessage::email(&*self.identity.mail_seal, &mail, now)
                    .unwrap()
                    .write()
            })
            .collect();
        for chunk in messages.chunks(100) {
            self.identity.store.transact(chunk.to_vec()).await.unwrap();
        }
    }

    /// Notices waiting in the outbox's notices lane.
    pub async fn waiting_notices(&self) -> usize {
        use stratum_shared::store::{Index, Query};
        let partition = stratum_shared::keys::outbox_partition(Lane::Notices);
        let mut waiting = 0;
        let mut cursor = None;
        loop {
            let page = self
                .identity
                .store
                .query(&Query::new(Index::Table, partition).limit(1_000).after(cursor))
                .await
                .unwrap();
            waiting += page.items.len();
            match page.next {
                Some(next) => cursor = Some(next),
                None => return waiting,
            }
        }
    }

    /// On the Lambda entry point, one round of the relay (a batch of each lane, the identity
    /// lane first), then what the identity lane's queue holds delivered, as its own event
    /// source does; locally the server's relay runs on its own.
    pub async fn relay_once_and_deliver_identity_mail(&self) {
        if let Transport::Lambda { pipeline, .. } = &self.transport {
            for lane in [Lane::Identity, Lane::Notices] {
                let queue = pipeline.queues().of_lane(lane);
                stratum_shared::outbox::relay(&pipeline.store, lane, queue, &*self.clock, stratum_relay::BATCH)
                    .await
                    .unwrap();
            }
            pipeline.deliver_queued(Lane::Identity).await;
        }
    }

    /// The e-mails sent to `to` so far, delivering nothing more.
    pub async fn sent_mail_to(&self, to: &str) -> Vec<Mail> {
        match &self.transport {
            Transport::Local { server, .. } => read_eml_folder(&server.as_ref().unwrap().mail_dir, to),
            Transport::Lambda { pipeline, .. } => read_moto_sent_mail(pipeline.moto, to).await,
        }
    }

    /// Every e-mail sent to `to` so far, oldest first. Waits (up to 10 s) for at least `at_least`.
    pub async fn mails_to(&self, to: &str, at_least: usize) -> Vec<Mail> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mails = match &self.transport {
                Transport::Local { server, .. } => read_eml_folder(&server.as_ref().unwrap().mail_dir, to),
                Transport::Lambda { pipeline, .. } => {
                    pipeline.deliver_pending().await;
                    read_moto_sent_mail(pipeline.moto, to).await
                }
            };
            if mails.len() >= at_least || Instant::now() > deadline {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The token of the newest e-mail to `to`, waiting for the `nth` (1-based) to arrive.
    pub async fn token_from_mail(&self, to: &str, nth: usize) -> String {
        let mails = self.mails_to(to, nth).await;
        assert!(
            mails.len() >= nth,
            "expected {nth} mails to {to}, found {}",
            mails.len()
        );
        mails[nth - 1].token()
    }
}

fn read_eml_folder(folder: &PathBuf, to: &str) -> Vec<Mail> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .filter(|eml| eml.lines().any(|line| line == format!("To: {to}")))
        .map(|eml| Mail {
            subject: eml
                .lines()
                .find_map(|line| line.strip_prefix("Subject: "))
                .unwrap_or_default()
                .to_owned(),
            body: eml,
        })
        .collect()
}

async fn read_moto_sent_mail(moto: &stratum_tests::Moto, to: &str) -> Vec<Mail> {
    let sent = moto.sent_mail(to).await;
    sent.into_iter().map(|(subject, body)| Mail { subject, body }).collect()
}

impl MailPipeline {
    fn queues(&self) -> stratum_relay::Queues<'_> {
        stratum_relay::Queues {
            identity: &self.queues[0].0,
            notices: &self.queues[1].0,
        }
    }

    /// Relays the outbox to SQS, then hands what SQS delivers to the notifier the way the
    /// Lambda event sources do (one per lane's queue), deleting what the notifier did not
    /// report as failed.
    async fn deliver_pending(&self) {
        stratum_relay::drain(&self.store, &self.queues(), &*self.notifier.clock)
            .await
            .expect("the relay drains the outbox");
        for lane in [Lane::Identity, Lane::Notices] {
            self.deliver_queued(lane).await;
        }
    }

    /// Hands what one lane's queue holds to the notifier, as its event source does.
    async fn deliver_queued(&self, lane: Lane) {
        let (queue, queue_url) = match lane {
            Lane::Identity => &self.queues[0],
            Lane::Notices => &self.queues[1],
        };
        let arn = (lane == Lane::Notices).then_some(stratum_tests::NOTICE_QUEUE_ARN);
        queues::hand_over(queue, queue_url, "the notifier", async |records| {
            self.notifier.handle(stratum_tests::sqs_event_from(arn, records)).await
        })
        .await;
    }
}
