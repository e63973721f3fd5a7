//! The outbox path on AWS parts: relay → SQS → notifier → SES, all on moto.

use serde_json::{Value, json};
use std::sync::Arc;
use stratum_infra::mail::SesMailer;
use stratum_notifier::Notifier;
use stratum_shared::clock::SystemClock;
use stratum_shared::identity::Email;
use stratum_shared::mail::EmailMessage;
use stratum_shared::outbox::{OutboxMessage, Queue};
use stratum_shared::store::{Index, Query, Store};
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
    }
}

fn message(to: &str) -> OutboxMessage {
    let email = EmailMessage::ConfirmEmail {
        to: Email::parse(to).unwrap(),
        name: "Jane".into(),
        link: "https://app.stratum.test/confirm-email?token=abc".into(),
    };
    OutboxMessage::email(email, Timestamp::new(chrono::Utc::now()))
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
    async fn send(&self, _: &[OutboxMessage]) -> Result<(), String> {
        Err("queue unavailable".into())
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

    assert!(stratum_relay::drain(&store, &BrokenQueue).await.is_err());
    let outbox = Query::new(Index::Table, stratum_shared::keys::OUTBOX_PARTITION);
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
    assert_eq!(stratum_relay::drain(&store, &queue).await.unwrap(), 1);
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

        let outcome = stratum_relay::handle(&store, &queue, payload).await.unwrap();

        assert_eq!(outcome, json!({ "relayed": messages }), "{event}");
    }
    let outbox = Query::new(Index::Table, stratum_shared::keys::OUTBOX_PARTITION);
    assert!(store.query(&outbox).await.unwrap().items.is_empty());
}
