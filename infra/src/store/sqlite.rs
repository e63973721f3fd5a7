//! The embedded store: the single table in one SQLite file.
//!
//! SQLite (bundled, so no system library is needed) gives what the port needs without
//! inventing storage code: ACID transactions that survive a crash (WAL, `synchronous=FULL`),
//! B-tree indexes for the two GSIs and for sort-key ranges, and byte-wise text ordering
//! that matches DynamoDB's. Writers take the database lock up front (`BEGIN IMMEDIATE`), so
//! conditions are checked and writes applied with no other writer in between; one
//! connection behind a mutex is plenty for a local, single-process server.

use async_trait::async_trait;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params, params_from_iter};
use std::path::Path;
use std::sync::{Arc, Mutex};
use stratum_shared::ports::{Clock, Store};
use stratum_shared::store::{
    Attributes, Condition, Cursor, Index, IndexKey, Item, Key, Page, Query, SortCondition, StoreError, Update, Write,
    check_transaction,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    gsi1pk TEXT, gsi1sk TEXT,
    gsi2pk TEXT, gsi2sk TEXT,
    ttl INTEGER,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_gsi2 ON items (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_ttl ON items (ttl) WHERE ttl IS NOT NULL;
";

const COLUMNS: &str = "pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, ttl, version, data";
const SELECT_ITEM: &str =
    "SELECT pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, ttl, version, data FROM items WHERE pk = ?1 AND sk = ?2";
const UPSERT_ITEM: &str = "INSERT OR REPLACE INTO items (pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, ttl, version, data) \
                           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

#[derive(Clone)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
    clock: Arc<dyn Clock>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store in the file at `path`.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let connection = Connection::open(path).map_err(unavailable)?;
        // WAL keeps readers off the writer's lock; FULL syncs every commit, so an
        // acknowledged write survives a crash or power loss. A 64 MiB page cache keeps the
        // keys' B-trees in memory as telemetry grows the file (the default is 2 MiB).
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536;")
            .map_err(unavailable)?;
        Self::with_connection(connection, clock)
    }

    /// A store that lives only as long as the process (benchmarks, unit tests).
    pub fn in_memory(clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        Self::with_connection(Connection::open_in_memory().map_err(unavailable)?, clock)
    }

    fn with_connection(connection: Connection, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        connection.execute_batch(SCHEMA).map_err(unavailable)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            clock,
        })
    }

    /// Deletes items past their expiry, as DynamoDB's TTL sweeper does; returns how many.
    /// Readers never depend on it.
    pub async fn sweep_expired(&self) -> Result<usize, StoreError> {
        self.run(|connection, now| {
            connection
                .execute("DELETE FROM items WHERE ttl IS NOT NULL AND ttl <= ?1", [now])
                .map_err(unavailable)
        })
        .await
    }

    /// Runs blocking SQLite work off the async executor, with the connection locked.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection, i64) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let connection = Arc::clone(&self.connection);
        let now = self.clock.now().timestamp();
        tokio::task::spawn_blocking(move || {
            let mut connection = connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut connection, now)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("store task failed: {e}")))?
    }
}

fn unavailable(error: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

fn read_item(row: &Row<'_>) -> rusqlite::Result<Item> {
    let index_key = |pk: Option<String>, sk: Option<String>| pk.zip(sk).map(|(pk, sk)| IndexKey { pk, sk });
    let data: String = row.get(8)?;
    let attributes: Attributes = serde_json::from_str(&data)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(8, rusqlite::types::Type::Text, Box::new(e)))?;
    Ok(Item {
        key: Key {
            pk: row.get(0)?,
            sk: row.get(1)?,
        },
        gsi1: index_key(row.get(2)?, row.get(3)?),
        gsi2: index_key(row.get(4)?, row.get(5)?),
        expires_at: row.get(6)?,
        version: row.get::<_, i64>(7)? as u64,
        attributes,
    })
}

fn live_item(connection: &Connection, key: &Key, now: i64) -> Result<Option<Item>, StoreError> {
    // Statements are prepared once per connection and cached: ingest runs these per message.
    let item = connection
        .prepare_cached(SELECT_ITEM)
        .and_then(|mut statement| statement.query_row(params![key.pk, key.sk], read_item))
        .optional()
        .map_err(unavailable)?;
    Ok(item.filter(|item| item.is_live(now)))
}

fn write_item(connection: &Connection, item: &Item) -> Result<(), StoreError> {
    let data = serde_json::to_string(&item.attributes).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let (gsi1pk, gsi1sk) = item.gsi1.as_ref().map(|k| (&k.pk, &k.sk)).unzip();
    let (gsi2pk, gsi2sk) = item.gsi2.as_ref().map(|k| (&k.pk, &k.sk)).unzip();
    connection
        .prepare_cached(UPSERT_ITEM)
        .and_then(|mut statement| {
            statement.execute(params![
                item.key.pk,
                item.key.sk,
                gsi1pk,
                gsi1sk,
                gsi2pk,
                gsi2sk,
                item.expires_at,
                item.version as i64,
                data
            ])
        })
        .map_err(unavailable)?;
    Ok(())
}

/// Checks one write's condition against the stored state and applies it; returns the item
/// as written for an update. Must run inside a transaction that holds the write lock.
fn apply(connection: &Connection, write: &Write, index: usize, now: i64) -> Result<Option<Item>, StoreError> {
    let key = write.key();
    let live = live_item(connection, key, now)?;
    let condition = match write {
        Write::Put { condition, .. } | Write::Delete { condition, .. } => condition.clone(),
        Write::Update(update) => Some(update.effective_condition()),
        Write::Check { condition, .. } => Some(condition.clone()),
    };
    if condition.is_some_and(|condition| !condition.holds(live.as_ref())) {
        return Err(StoreError::ConditionFailed { index });
    }
    match write {
        Write::Put { item, .. } => write_item(connection, item).map(|()| None),
        Write::Update(update) => {
            let mut item = live.expect("an update's condition requires a live item");
            update.apply(&mut item)?;
            write_item(connection, &item)?;
            Ok(Some(item))
        }
        Write::Delete { key, .. } => {
            connection
                .prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2")
                .and_then(|mut statement| statement.execute(params![key.pk, key.sk]))
                .map_err(unavailable)?;
            Ok(None)
        }
        Write::Check { .. } => Ok(None),
    }
}

/// Applies `writes` in one immediate transaction: all of them, or none.
fn transact(connection: &mut Connection, writes: &[Write], now: i64) -> Result<Option<Item>, StoreError> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable)?;
    let mut last = None;
    for (index, write) in writes.iter().enumerate() {
        last = apply(&transaction, write, index, now)?;
    }
    transaction.commit().map_err(unavailable)?;
    Ok(last)
}

/// Applies each of `writes` on its own, in one immediate transaction (one commit).
fn write_each(
    connection: &mut Connection,
    writes: &[Write],
    now: i64,
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable)?;
    let mut outcomes = Vec::with_capacity(writes.len());
    for write in writes {
        // A write whose condition fails writes nothing, so the others go on.
        match apply(&transaction, write, 0, now) {
            Ok(_) => outcomes.push(Ok(())),
            Err(error @ StoreError::ConditionFailed { .. }) => outcomes.push(Err(error)),
            Err(other) => return Err(other),
        }
    }
    transaction.commit().map_err(unavailable)?;
    Ok(outcomes)
}

fn query_page(connection: &Connection, query: &Query, now: i64) -> Result<Page, StoreError> {
    let cursor = query.checked_cursor()?;
    let (ipk, isk) = match query.index {
        Index::Table => ("pk", "sk"),
        Index::Gsi1 => ("gsi1pk", "gsi1sk"),
        Index::Gsi2 => ("gsi2pk", "gsi2sk"),
    };
    // Index keys need not be unique, so the table key breaks ties for a stable order.
    let order_columns = match query.index {
        Index::Table => "sk".to_string(),
        _ => format!("{isk}, pk, sk"),
    };
    let mut sql = format!("SELECT {COLUMNS} FROM items WHERE {ipk} = ? AND (ttl IS NULL OR ttl > ?)");
    let mut args: Vec<SqlValue> = vec![query.pk.clone().into(), now.into()];
    let mut bound = |sql: &mut String, clause: &str, values: &[&str]| {
        sql.push_str(" AND ");
        sql.push_str(&clause.replace("{sk}", isk));
        args.extend(values.iter().map(|v| SqlValue::Text(v.to_string())));
    };
    match &query.sort {
        SortCondition::Any => {}
        SortCondition::Equals(v) => bound(&mut sql, "{sk} = ?", &[v]),
        SortCondition::BeginsWith(p) => bound(&mut sql, "substr({sk}, 1, length(?)) = ?", &[p, p]),
        SortCondition::Between(low, high) => bound(&mut sql, "{sk} BETWEEN ? AND ?", &[low, high]),
        SortCondition::Below(v) => bound(&mut sql, "{sk} < ?", &[v]),
        SortCondition::AtMost(v) => bound(&mut sql, "{sk} <= ?", &[v]),
        SortCondition::Above(v) => bound(&mut sql, "{sk} > ?", &[v]),
        SortCondition::AtLeast(v) => bound(&mut sql, "{sk} >= ?", &[v]),
    }
    let direction = if query.ascending { ">" } else { "<" };
    if let Some(cursor) = cursor {
        match query.index {
            Index::Table => bound(&mut sql, &format!("sk {direction} ?"), &[&cursor.sk]),
            _ => bound(
                &mut sql,
                &format!("({isk}, pk, sk) {direction} (?, ?, ?)"),
                &[cursor.sort_key(), &cursor.pk, &cursor.sk],
            ),
        }
    }
    let order = if query.ascending { "ASC" } else { "DESC" };
    let order_by = order_columns
        .split(", ")
        .map(|c| format!("{c} {order}"))
        .collect::<Vec<_>>()
        .join(", ");
    let size = query.page_size() as usize;
    sql.push_str(&format!(" ORDER BY {order_by} LIMIT {}", size + 1));

    let mut statement = connection.prepare_cached(&sql).map_err(unavailable)?;
    let mut items = statement
        .query_map(params_from_iter(args), read_item)
        .map_err(unavailable)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(unavailable)?;
    let next = if items.len() > size {
        items.truncate(size);
        items.last().and_then(|last| Cursor::at(query.index, last))
    } else {
        None
    };
    Ok(Page { items, next })
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let key = key.clone();
        self.run(move |connection, now| live_item(connection, &key, now)).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        let keys = keys.to_vec();
        self.run(move |connection, now| {
            // One read transaction, so the items come from one consistent snapshot.
            let transaction = connection.transaction().map_err(unavailable)?;
            let items = keys.iter().map(|key| live_item(&transaction, key, now)).collect();
            transaction.commit().map_err(unavailable)?;
            items
        })
        .await
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        let writes = [Write::Put { item, condition }];
        self.run(move |connection, now| transact(connection, &writes, now).map(drop))
            .await
    }

    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        let writes = [Write::Update(update)];
        self.run(move |connection, now| {
            transact(connection, &writes, now).map(|item| item.expect("an update returns the item it wrote"))
        })
        .await
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        let writes = [Write::Delete {
            key: key.clone(),
            condition,
        }];
        self.run(move |connection, now| transact(connection, &writes, now).map(drop))
            .await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let query = query.clone();
        self.run(move |connection, now| query_page(connection, &query, now))
            .await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        check_transaction(&writes)?;
        self.run(move |connection, now| transact(connection, &writes, now).map(drop))
            .await
    }

    async fn write_each(&self, writes: Vec<Write>) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        self.run(move |connection, now| write_each(connection, &writes, now))
            .await
    }
}
