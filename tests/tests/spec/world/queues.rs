//! SQS as a Lambda event source: what a queue holds, handed to a worker ten messages at a time
//! and deleted once the worker reports no failure.

use aws_lambda_events::sqs::SqsBatchResponse;
use stratum_infra::queue::SqsQueue;

/// Hands what the queue at `queue_url` holds to `handle` as (message id, receipt handle, body)
/// records, a batch of up to ten at a time as the event source does, until the queue is empty.
/// Every batch must be handled without a failure (`worker` names who failed); it is then
/// deleted.
pub(super) async fn hand_over(
    queue: &SqsQueue,
    queue_url: &str,
    worker: &str,
    handle: impl AsyncFn(&[(String, String, String)]) -> SqsBatchResponse,
) {
    loop {
        let received = queue
            .client()
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return;
        }
        let records: Vec<(String, String, String)> = messages
            .iter()
            .map(|m| {
                let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
                (text(m.message_id()), text(m.receipt_handle()), text(m.body()))
            })
            .collect();
        let response = handle(&records).await;
        assert!(
            response.batch_item_failures.is_empty(),
            "{worker} failed: {:?}",
            response.batch_item_failures
        );
        for message in &messages {
            queue
                .client()
                .delete_message()
                .queue_url(queue_url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}
