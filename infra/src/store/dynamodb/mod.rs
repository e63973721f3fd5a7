//! The DynamoDB adapter of the store port.
//!
//! Reads are strongly consistent on the table (GSIs are eventually consistent by nature).
//! Throttling and transient failures are retried by the SDK's standard strategy (exponential
//! back-off with full jitter); transactions cancelled by a conflicting concurrent transaction
//! are retried here, with the same kind of back-off, because nothing of them was applied.

mod codec;
mod counter;
mod expression;
mod table;

pub use counter::{RequestCounter, RequestCounts};
pub use table::create_table;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, KeysAndAttributes, Put, ReturnValue, TransactWriteItem};
use codec::{
    AttributeMap, cursor_from_map, cursor_map, index_key_names, index_name, item_from_map, item_map, key_map, s,
};
use expression::Expression;
use rand::Rng;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use stratum_shared::ports::{Clock, Store};
use stratum_shared::store::{
    Condition, Cursor, Item, Key, Page, Query, SortCondition, StoreError, Update, Write, check_transaction,
};

/// BatchGetItem's limit on keys per request.
const BATCH_GET_KEYS: usize = 100;
/// Attempts for a transaction that keeps meeting concurrent transactions.
const CONTENTION_ATTEMPTS: u32 = 8;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
    counter: RequestCounter,
}

impl DynamoStore {
    /// A store on `table`, with the endpoint, region and credentials of `config` (an
    /// `AWS_ENDPOINT_URL` in the environment points it at a local emulator).
    pub fn new(config: &SdkConfig, table: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        let counter = RequestCounter::default();
        let client_config = aws_sdk_dynamodb::config::Builder::from(config)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(4)
                    .with_initial_backoff(Duration::from_millis(25)),
            )
            .interceptor(counter.clone())
            .build();
        Self {
            client: Client::from_conf(client_config),
            table: table.into(),
            clock,
            counter,
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn requests(&self) -> &RequestCounter {
        &self.counter
    }

    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    fn put_request(&self, item: &Item, condition: Option<&Condition>) -> Put {
        let mut expression = Expression::new(self.now());
        let condition = condition.map(|c| expression.condition(c));
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item_map(item)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .build()
            .expect("a put names its table and item")
    }

    fn delete_request(&self, key: &Key, condition: Option<&Condition>) -> Delete {
        let mut expression = Expression::new(self.now());
        let condition = condition.map(|c| expression.condition(c));
        Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .build()
            .expect("a delete names its table and key")
    }

    fn update_request(&self, update: &Update) -> aws_sdk_dynamodb::types::Update {
        let mut expression = Expression::new(self.now());
        let condition = expression.condition(&update.effective_condition());
        let update_expression = expression.update(update);
        aws_sdk_dynamodb::types::Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_map(&update.key)))
            .update_expression(update_expression)
            .condition_expression(condition)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .build()
            .expect("an update names its table, key and expression")
    }

    fn check_request(&self, key: &Key, condition: &Condition) -> ConditionCheck {
        let mut expression = Expression::new(self.now());
        let condition = expression.condition(condition);
        ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .condition_expression(condition)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .build()
            .expect("a condition check names its table, key and condition")
    }

    fn live(&self, map: AttributeMap) -> Result<Option<Item>, StoreError> {
        let item = item_from_map(map)?;
        Ok(item.is_live(self.now()).then_some(item))
    }

    async fn transact_once(&self, writes: &[Write]) -> Result<(), StoreError> {
        let items = writes
            .iter()
            .map(|write| match write {
                Write::Put { item, condition } => {
                    TransactWriteItem::builder().put(self.put_request(item, condition.as_ref()))
                }
                Write::Update(update) => TransactWriteItem::builder().update(self.update_request(update)),
                Write::Delete { key, condition } => {
                    TransactWriteItem::builder().delete(self.delete_request(key, condition.as_ref()))
                }
                Write::Check { key, condition } => {
                    TransactWriteItem::builder().condition_check(self.check_request(key, condition))
                }
            })
            .map(|builder| builder.build())
            .collect();
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let Err(error) = result else { return Ok(()) };
        let Some(canceled) = error.as_service_error().and_then(|e| match e {
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => Some(c),
            _ => None,
        }) else {
            return Err(backend(error));
        };
        let reasons = canceled.cancellation_reasons();
        if let Some(index) = reasons.iter().position(|r| r.code() == Some("ConditionalCheckFailed")) {
            return Err(StoreError::ConditionFailed { index });
        }
        if reasons.iter().any(|r| r.code() == Some("TransactionConflict")) {
            return Err(StoreError::Contention);
        }
        Err(StoreError::Unavailable(format!("transaction cancelled: {reasons:?}")))
    }
}

fn backend<E, R>(error: aws_sdk_dynamodb::error::SdkError<E, R>) -> StoreError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    if error.code() == Some("ValidationException") {
        return StoreError::Invalid(DisplayErrorContext(&error).to_string());
    }
    StoreError::Unavailable(DisplayErrorContext(&error).to_string())
}

/// Jittered exponential back-off: a random wait up to 10 ms × 2^attempt.
async fn back_off(attempt: u32) {
    let ceiling = 10u64 << attempt.min(8);
    let wait = rand::rng().random_range(0..=ceiling);
    tokio::time::sleep(Duration::from_millis(wait)).await;
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        output.item.map(|map| self.live(map)).transpose().map(Option::flatten)
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        let mut found: HashMap<Key, Item> = HashMap::new();
        for chunk in keys.chunks(BATCH_GET_KEYS) {
            let mut pending = KeysAndAttributes::builder()
                .set_keys(Some(chunk.iter().map(key_map).collect()))
                .consistent_read(true)
                .build()
                .expect("a batch names its keys");
            for attempt in 0.. {
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(backend)?;
                for map in output
                    .responses
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default()
                {
                    if let Some(item) = self.live(map)? {
                        found.insert(item.key.clone(), item);
                    }
                }
                match output.unprocessed_keys.unwrap_or_default().remove(&self.table) {
                    Some(unprocessed) if !unprocessed.keys().is_empty() => {
                        pending = unprocessed;
                        back_off(attempt).await;
                    }
                    _ => break,
                }
            }
        }
        Ok(keys.iter().map(|key| found.get(key).cloned()).collect())
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        let request = self.put_request(&item, condition.as_ref());
        self.client
            .put_item()
            .table_name(request.table_name())
            .set_item(Some(request.item().clone()))
            .set_condition_expression(request.condition_expression().map(str::to_owned))
            .set_expression_attribute_names(request.expression_attribute_names().cloned())
            .set_expression_attribute_values(request.expression_attribute_values().cloned())
            .send()
            .await
            .map(drop)
            .map_err(|error| match error.as_service_error() {
                Some(e) if e.is_conditional_check_failed_exception() => StoreError::ConditionFailed { index: 0 },
                _ => backend(error),
            })
    }

    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        let request = self.update_request(&update);
        let output = self
            .client
            .update_item()
            .table_name(request.table_name())
            .set_key(Some(request.key().clone()))
            .update_expression(request.update_expression())
            .set_condition_expression(request.condition_expression().map(str::to_owned))
            .set_expression_attribute_names(request.expression_attribute_names().cloned())
            .set_expression_attribute_values(request.expression_attribute_values().cloned())
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|error| match error.as_service_error() {
                Some(e) if e.is_conditional_check_failed_exception() => StoreError::ConditionFailed { index: 0 },
                _ => backend(error),
            })?;
        item_from_map(output.attributes.unwrap_or_default())
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        let request = self.delete_request(key, condition.as_ref());
        self.client
            .delete_item()
            .table_name(request.table_name())
            .set_key(Some(request.key().clone()))
            .set_condition_expression(request.condition_expression().map(str::to_owned))
            .set_expression_attribute_names(request.expression_attribute_names().cloned())
            .set_expression_attribute_values(request.expression_attribute_values().cloned())
            .send()
            .await
            .map(drop)
            .map_err(|error| match error.as_service_error() {
                Some(e) if e.is_conditional_check_failed_exception() => StoreError::ConditionFailed { index: 0 },
                _ => backend(error),
            })
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let cursor = query.checked_cursor()?;
        let mut expression = Expression::new(self.now());
        let (pk_name, sk_name) = index_key_names(query.index);
        let (pk, pk_value) = (expression.name(pk_name), expression.value(s(&query.pk)));
        let key_condition = format!(
            "{pk} = {pk_value}{}",
            sort_condition(&mut expression, sk_name, &query.sort)
        );
        let filter = expression.unexpired();
        let size = query.page_size() as usize;
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index_name(query.index).map(str::to_owned))
            .consistent_read(index_name(query.index).is_none())
            .key_condition_expression(key_condition)
            .filter_expression(filter)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .scan_index_forward(query.ascending)
            .limit(size as i32 + 1)
            .set_exclusive_start_key(cursor.map(cursor_map))
            .send()
            .await
            .map_err(backend)?;
        let mut items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(item_from_map)
            .collect::<Result<Vec<_>, _>>()?;
        let next = if items.len() > size {
            items.truncate(size);
            items.last().and_then(|last| Cursor::at(query.index, last))
        } else {
            output
                .last_evaluated_key
                .map(|key| cursor_from_map(query.index, key))
                .transpose()?
        };
        Ok(Page { items, next })
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        check_transaction(&writes)?;
        let mut attempt = 0;
        loop {
            match self.transact_once(&writes).await {
                Err(StoreError::Contention) if attempt + 1 < CONTENTION_ATTEMPTS => {
                    back_off(attempt).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// The sort-key part of a key condition expression (empty for any sort key).
fn sort_condition(expression: &mut Expression, sk_name: &str, sort: &SortCondition) -> String {
    let (operator, value) = match sort {
        SortCondition::Any => return String::new(),
        SortCondition::BeginsWith(prefix) => {
            let (sk, value) = (expression.name(sk_name), expression.value(s(prefix)));
            return format!(" AND begins_with({sk}, {value})");
        }
        SortCondition::Between(low, high) => {
            let sk = expression.name(sk_name);
            let (low, high) = (expression.value(s(low)), expression.value(s(high)));
            return format!(" AND {sk} BETWEEN {low} AND {high}");
        }
        SortCondition::Equals(v) => ("=", v),
        SortCondition::Below(v) => ("<", v),
        SortCondition::AtMost(v) => ("<=", v),
        SortCondition::Above(v) => (">", v),
        SortCondition::AtLeast(v) => (">=", v),
    };
    let (sk, value) = (expression.name(sk_name), expression.value(s(value)));
    format!(" AND {sk} {operator} {value}")
}
