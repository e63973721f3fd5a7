//! The outbox path on AWS parts: relay → SQS → notifier → SES, all on moto.

use serde_json::{Value, json};
use std::sync::Arc;
use stratum_infra::mail::SesMailer;
use stratum_notifier::Notifier;
use stratum_shared::accounts::Email;
use stratum_shared::clock::SystemClock;
use stratum_shared::mail::{EmailMessage, Lane};
use stratum_shared::ports::{OutboxMessage, PortError, Queue, Refusal, Store};
use stratum_shared::store::{Index, Query};
use stratum_shared::time::Timestamp;

const FROM: &str = "no-reply@stratum.test";

async fn notifier(moto: &stratum_tests::Moto) -> Notifier {
    let clock = Arc::new(SystemClock);
    let aws = moto.sdk_config().await;
    aws_sdk_ses::Client::new(&aws)
        .verify_email_identity()
        .email_address(FROM)
        .send()
        .await
        .unwrap();
    Notifier {
        store: Arc::new(moto.dynamo_store(clock.clone()).await),
        mailer: Arc::new(SesMailer::new(&aws, FROM)),
        clock,
        mail_key: Arc::new(stratum_tests::mail_key()),
        notice_queue_arn: stratum_tests::NOTICE_QUEUE_ARN.to_owned(),
    }
}

fn message(to: &str) -> OutboxMessage {
    let email = EmailMessage::ConfirmEmail {
        to: Email::parse(to).unwrap(),
        name: "Jane".into(),
        link: "https://app.stratum.test/confirm-email?token=abc".into(),
    };
    OutboxMessage::email(
        &stratum_tests::mail_sealer(),
        &email,
        Timestamp::new(chrono::Utc::now()),
    )
    .unwrap()
}

/// The recorded SQS event, carrying `bodies` as its records (`sqs-0`, `sqs-1`, …).
fn sqs_event(bodies: &[String]) -> aws_lambda_events::sqs::SqsEvent {
    let records: Vec<(String, String, String)> = bodies
        .iter()
        .enumerate()
        .map(|(n, body)| (format!("sqs-{n}"), format!("receipt-{n}"), body.clone()))
        .collect();
    stratum_tests::sqs_event(&records)
}

async fn sent_to(moto: &stratum_tests::Moto, to: &str) -> usize {
    moto.sent_mail(to).await.len()
}

/// Both lanes of the outbox relayed to `queue`.
fn both(queue: &dyn Queue) -> stratum_relay::Queues<'_> {
    stratum_relay::Queues {
        identity: queue,
        notices: queue,
    }
}

fn unique(name: &str) -> String {
    format!("{name}.{}@example.com", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn the_recorded_sqs_event_is_delivered_through_ses() {
    let moto = stratum_tests::moto();
    let notifier = notifier(moto).await;
    let recorded: aws_lambda_events::sqs::SqsEvent =
        serde_json::from_str(&stratum_tests::event("sqs-outbox.json")).unwrap();
    let to = "jane.doe@example.com";
    let before = sent_to(moto, to).await;

    let response = notifier.handle(recorded).await;

    assert!(response.batch_item_failures.is_empty());
    assert_eq!(sent_to(moto, to).await, before + 1);
}

#[tokio::test]
async fn the_notice_queue_carries_notices_only_so_no_notice_writer_can_send_identity_mail() {
    let moto = stratum_tests::moto();
    let notifier = notifier(moto).await;
    let to = unique("lookalike");
    let confirmation = serde_json::to_string(&message(&to)).unwrap();
    let records = [("sqs-0".to_owned(), "receipt-0".to_owned(), confirmation.clone())];

    let from_notices = notifier
        .handle(stratum_tests::sqs_event_from(
            Some(stratum_tests::NOTICE_QUEUE_ARN),
            &records,
        ))
        .await;
    assert_eq!(from_notices.batch_item_failures.len(), 1, "refused on the notice queue");
    assert_eq!(sent_to(moto, &to).await, 0);

    let from_identity = notifier.handle(sqs_event(&[confirmation])).await;
    assert!(from_identity.batch_item_failures.is_empty());
    assert_eq!(sent_to(moto, &to).await, 1, "sent from the identity queue");
}

#[tokio::test]
async fn a_redelivered_message_sends_no_second_email() {
    let moto = stratum_tests::moto();
    let notifier = notifier(moto).await;
    let to = unique("once");
    let body = serde_json::to_string(&message(&to)).unwrap();

    let first = notifier.handle(sqs_event(std::slice::from_ref(&body))).await;
    let again = notifier.handle(sqs_event(&[body])).await;

    assert!(first.batch_item_failures.is_empty() && again.batch_item_failures.is_empty());
    assert_eq!(sent_to(moto, &to).await, 1);
}

#[tokio::test]
async fn a_batch_reports_only_the_messages_that_failed() {
    let moto = stratum_tests::moto();
    let notifier = notifier(moto).await;
    let to = unique("batch");
    let good = serde_json::to_string(&message(&to)).unwrap();

    let response = notifier
        .handle(sqs_event(&[good, "{not an outbox message".into()]))
        .await;

    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["sqs-1"]);
    assert_eq!(sent_to(moto, &to).await, 1);
}

#[tokio::test]
async fn a_message_ses_refuses_is_reported_and_can_be_sent_on_redelivery() {
    let moto = stratum_tests::moto();
    let clock = Arc::new(SystemClock);
    let aws = moto.sdk_config().await;
    let store = Arc::new(moto.dynamo_store(clock.clone()).await);
    let unverified = Notifier {
        store: store.clone(),
        mailer: Arc::new(SesMailer::new(&aws, "unverified@nowhere.test")),
        clock: clock.clone(),
        mail_key: Arc::new(stratum_tests::mail_key()),
        notice_queue_arn: stratum_tests::NOTICE_QUEUE_ARN.to_owned(),
    };
    let to = unique("retry");
    let body = serde_json::to_string(&message(&to)).unwrap();

    let refused = unverified.handle(sqs_event(std::slice::from_ref(&body))).await;
    assert_eq!(refused.batch_item_failures.len(), 1, "SES refuses an unverified sender");

    aws_sdk_ses::Client::new(&aws)
        .verify_email_identity()
        .email_address(FROM)
        .send()
        .await
        .unwrap();
    let verified = Notifier {
        store,
        mailer: Arc::new(SesMailer::new(&aws, FROM)),
        clock,
        mail_key: Arc::new(stratum_tests::mail_key()),
        notice_queue_arn: stratum_tests::NOTICE_QUEUE_ARN.to_owned(),
    };
    assert!(verified.handle(sqs_event(&[body])).await.batch_item_failures.is_empty());
    assert_eq!(
        sent_to(moto, &to).await,
        1,
        "the failed attempt did not count as a delivery"
    );
}

/// A queue that is down.
struct BrokenQueue;

#[async_trait::async_trait]
impl Queue for BrokenQueue {
    async fn send(&self, _: &[OutboxMessage]) -> Result<Vec<Refusal>, PortError> {
        Err(PortError::Unavailable("queue unavailable".into()))
    }
}

#[tokio::test]
async fn the_relay_keeps_what_the_queue_did_not_take_and_sends_it_later() {
    let moto = stratum_tests::moto();
    let clock = Arc::new(SystemClock);
    let aws = moto.sdk_config().await;
    let store = moto.dynamo_store(clock).await;
    let pending = message(&unique("relay"));
    store.transact(vec![pending.write()]).await.unwrap();

    assert!(
        stratum_relay::drain(&store, &both(&BrokenQueue), &SystemClock)
            .await
            .is_err()
    );
    let outbox = Query::new(Index::Table, stratum_shared::keys::outbox_partition(Lane::Identity));
    assert_eq!(
        store.query(&outbox).await.unwrap().items.len(),
        1,
        "nothing is lost when the queue is down"
    );

    let queue_url = aws_sdk_sqs::Client::new(&aws)
        .create_queue()
        .queue_name(format!("relay-{}", uuid::Uuid::new_v4()))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue = stratum_infra::queue::SqsQueue::new(&aws, &queue_url);
    assert_eq!(
        stratum_relay::drain(&store, &both(&queue), &SystemClock)
            .await
            .unwrap()
            .relayed,
        1
    );
    assert!(store.query(&outbox).await.unwrap().items.is_empty());
    let received = queue
        .client()
        .receive_message()
        .queue_url(&queue_url)
        .send()
        .await
        .unwrap();
    let body = received.messages.unwrap()[0].body.clone().unwrap();
    assert_eq!(serde_json::from_str::<OutboxMessage>(&body).unwrap(), pending);
}

#[tokio::test]
async fn the_relay_drains_the_outbox_on_the_recorded_stream_and_schedule_events() {
    let moto = stratum_tests::moto();
    let clock = Arc::new(SystemClock);
    let aws = moto.sdk_config().await;
    let store = moto.dynamo_store(clock).await;
    let queue_url = aws_sdk_sqs::Client::new(&aws)
        .create_queue()
        .queue_name(format!("relay-{}", uuid::Uuid::new_v4()))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue = stratum_infra::queue::SqsQueue::new(&aws, &queue_url);

    for (event, messages) in [("dynamodb-stream-outbox.json", 3), ("schedule.json", 1)] {
        let writes = (0..messages).map(|_| message(&unique("wake")).write()).collect();
        store.transact(writes).await.unwrap();
        let payload: Value = serde_json::from_str(&stratum_tests::event(event)).unwrap();

        let outcome = stratum_relay::handle(&store, &both(&queue), payload).await.unwrap();

        assert_eq!(outcome, json!({ "relayed": messages, "parked": 0 }), "{event}");
    }
    let outbox = Query::new(Index::Table, stratum_shared::keys::outbox_partition(Lane::Identity));
    assert!(store.query(&outbox).await.unwrap().items.is_empty());
}

/// A queue that refuses a body the way SQS does: SQS takes only #x9 | #xA | #xD |
/// #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF (moto does not check, so this adapter does),
/// and takes everything else into `taken`. `body` is how the messages are written.
struct SqsCharacterRules {
    body: fn(&OutboxMessage) -> String,
    taken: std::sync::Mutex<Vec<OutboxMessage>>,
}

impl SqsCharacterRules {
    fn writing(body: fn(&OutboxMessage) -> String) -> Self {
        Self {
            body,
            taken: Default::default(),
        }
    }

    fn taken(&self) -> Vec<String> {
        self.taken.lock().unwrap().iter().map(|m| m.id.to_string()).collect()
    }
}

fn sqs_accepts(body: &str) -> bool {
    body.chars()
        .all(|c| matches!(u32::from(c), 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF))
}

#[async_trait::async_trait]
impl Queue for SqsCharacterRules {
    async fn send(&self, messages: &[OutboxMessage]) -> Result<Vec<Refusal>, PortError> {
        let mut refusals = Vec::new();
        for message in messages {
            if sqs_accepts(&(self.body)(message)) {
                self.taken.lock().unwrap().push(message.clone());
            } else {
                refusals.push(Refusal {
                    id: message.id,
                    reason: "InvalidMessageContents: invalid characters".into(),
                    permanent: true,
                });
            }
        }
        Ok(refusals)
    }
}

#[tokio::test]
async fn a_message_sqs_refuses_is_set_aside_and_everything_behind_it_goes_out() {
    let moto = stratum_tests::moto();
    let store = moto.dynamo_store(Arc::new(SystemClock)).await;
    let first = message(&unique("first"));
    // A message written before bodies were sealed, with a character SQS refuses in clear.
    let mut poisoned = message(&unique("poisoned"));
    poisoned.kind = "email.confirm_email \u{FFFF}".into();
    let last = message(&unique("last"));
    store
        .transact(vec![first.write(), poisoned.write(), last.write()])
        .await
        .unwrap();
    let queue = SqsCharacterRules::writing(|message| serde_json::to_string(message).unwrap());

    let drained = stratum_relay::drain(&store, &both(&queue), &SystemClock).await.unwrap();

    assert_eq!(queue.taken(), [first.id.to_string(), last.id.to_string()]);
    assert_eq!((drained.relayed, drained.parked), (2, 1));
    let outbox = Query::new(Index::Table, stratum_shared::keys::outbox_partition(Lane::Identity));
    assert!(
        store.query(&outbox).await.unwrap().items.is_empty(),
        "nothing is left to block the outbox"
    );
    let parked = store
        .query(&Query::new(Index::Table, stratum_shared::keys::PARKED_MESSAGES))
        .await
        .unwrap()
        .items;
    assert_eq!(parked.len(), 1, "the refused message is kept for operators");
    let kept: OutboxMessage = parked[0].record().unwrap();
    assert_eq!(
        (kept.id, kept.refusals + 1),
        (poisoned.id, stratum_shared::outbox::MAX_REFUSALS),
        "set aside after a bounded number of refusals"
    );
    assert!(parked[0].attribute("parked_reason").is_some());
}

#[tokio::test]
async fn a_refused_message_is_tried_again_before_it_is_set_aside() {
    let moto = stratum_tests::moto();
    let store = moto.dynamo_store(Arc::new(SystemClock)).await;
    let mut poisoned = message(&unique("poisoned"));
    poisoned.kind = "\u{FFFE}".into();
    store.transact(vec![poisoned.write()]).await.unwrap();
    let queue = SqsCharacterRules::writing(|message| serde_json::to_string(message).unwrap());

    let round = stratum_shared::outbox::relay(&store, Lane::Identity, &queue, &SystemClock, 10)
        .await
        .unwrap();

    assert_eq!((round.sent, round.refused, round.parked.len()), (0, 1, 0));
    let outbox = Query::new(Index::Table, stratum_shared::keys::outbox_partition(Lane::Identity));
    let left: OutboxMessage = store.query(&outbox).await.unwrap().items[0].record().unwrap();
    assert_eq!(left.refusals, 1, "the refusal is counted on the message");
}

#[tokio::test]
async fn whatever_a_person_typed_the_sqs_body_is_one_sqs_accepts_and_tokens_are_sealed() {
    let token = "u3GrCQ9B5FcShREPQN6r-prq5Hdilnq-WQIIskIHyqA";
    let email = EmailMessage::ConfirmEmail {
        to: Email::parse("zoe@bücher.example").unwrap(),
        name: "Zoë \u{FFFF} \u{1F600}".into(),
        link: format!("https://app.stratum.test/confirm-email?token={token}"),
    };
    let message = OutboxMessage::email(
        &stratum_tests::mail_sealer(),
        &email,
        Timestamp::new(chrono::Utc::now()),
    )
    .unwrap();
    let queue = SqsCharacterRules::writing(stratum_infra::queue::sqs_body);

    let refused = queue.send(std::slice::from_ref(&message)).await.unwrap();

    assert!(refused.is_empty(), "{refused:?}");
    let body = stratum_infra::queue::sqs_body(&message);
    assert!(!body.contains(token), "the token never travels in clear: {body}");
    let outbox_item = match message.write() {
        stratum_shared::store::Write::Put { item, .. } => serde_json::Value::Object(item.attributes).to_string(),
        other => panic!("{other:?}"),
    };
    assert!(!outbox_item.contains(token), "nor sits in the outbox in clear");
    let read_back: OutboxMessage = serde_json::from_str(&body).unwrap();
    assert_eq!(
        read_back.open(&stratum_tests::mail_key()).unwrap(),
        email,
        "the notifier unseals it, with the key only it holds"
    );
}

/// A queue that is up but fails every message through its own fault (SQS: a service fault).
struct StrugglingQueue;

#[async_trait::async_trait]
impl Queue for StrugglingQueue {
    async fn send(&self, messages: &[OutboxMessage]) -> Result<Vec<Refusal>, PortError> {
        Ok(messages
            .iter()
            .map(|message| Refusal {
                id: message.id,
                reason: "InternalError: try again".into(),
                permanent: false,
            })
            .collect())
    }
}

#[tokio::test]
async fn a_message_the_queue_fails_through_its_own_fault_is_kept_as_it_was() {
    let moto = stratum_tests::moto();
    let store = moto.dynamo_store(Arc::new(SystemClock)).await;
    let waiting = message(&unique("waiting"));
    store.transact(vec![waiting.write()]).await.unwrap();

    for _ in 0..(stratum_shared::outbox::MAX_REFUSALS + 2) {
        let drained = stratum_relay::drain(&store, &both(&StrugglingQueue), &SystemClock)
            .await
            .unwrap();
        assert_eq!((drained.relayed, drained.parked, drained.deferred), (0, 0, 1));
    }

    let outbox = Query::new(Index::Table, stratum_shared::keys::outbox_partition(Lane::Identity));
    let kept: OutboxMessage = store.query(&outbox).await.unwrap().items[0].record().unwrap();
    assert_eq!(kept, waiting, "neither counted nor parked: the next drain sends it");
}
