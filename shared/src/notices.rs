//! Notices: the e-mails an organisation's rules and alerts send its people (issue 21, item 1).
//!
//! They travel their own lane of the outbox, so no backlog of them delays anybody's
//! confirmation mail, and each root organisation has an hourly e-mail budget (a platform
//! setting), spent atomically before the change that causes them commits. Past it, a
//! person's notices of that hour are held: counted in the change's own transaction, and summed
//! up in one e-mail per person once the hour is over (housekeeping sends it).

use crate::error::{DomainError, DomainResult};
use crate::identity::{Organisation, User};
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::limits::{Budget, Spent};
use crate::mail::EmailMessage;
use crate::ports::{MailSeal, OutboxMessage, Store};
use crate::store::{Condition, Index, Item, Query, SortCondition, StoreError, Update, Write};
use crate::time::Timestamp;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const HOUR_SECONDS: i64 = 3600;
/// How long the budget's setting is used before it is read again.
const SETTING_TTL_SECONDS: i64 = 60;

/// What notice e-mails need besides the store: the notifier's public key that seals them, and
/// the web app's address for links.
#[derive(Clone)]
pub struct Notices {
    pub seal: Arc<dyn MailSeal>,
    pub web_url: String,
    /// The platform's budget setting as last read, and when.
    budget: Arc<Mutex<Option<(i64, u32)>>>,
}

/// A person a notice is for, and its e-mail.
pub struct Notice {
    pub to: User,
    pub mail: EmailMessage,
}

impl Notices {
    pub fn new(seal: Arc<dyn MailSeal>, web_url: impl Into<String>) -> Notices {
        Notices {
            seal,
            web_url: web_url.into(),
            budget: Arc::new(Mutex::new(None)),
        }
    }

    /// As the identity services seal and link their own e-mails.
    pub fn of(identity: &crate::identity::Identity) -> Notices {
        Notices::new(identity.mail_seal.clone(), identity.settings.web_url.clone())
    }

    /// The platform's hourly budget of notice e-mails per organisation, read once a minute.
    async fn per_hour(&self, store: &dyn Store, now: Timestamp) -> DomainResult<u32> {
        let now = now.unix_seconds();
        if let Some((read_at, per_hour)) = *self.budget.lock().expect("the budget lock")
            && now - read_at < SETTING_TTL_SECONDS
        {
            return Ok(per_hour);
        }
        let settings: crate::settings::PlatformSettings = store
            .get(&keys::platform_settings())
            .await?
            .map(|item| item.record())
            .transpose()?
            .unwrap_or_default();
        *self.budget.lock().expect("the budget lock") = Some((now, settings.notice_emails_per_hour));
        Ok(settings.notice_emails_per_hour)
    }

    /// The writes that send `notices` of `root`'s organisation, for the transaction of their
    /// cause: the sealed e-mails when the hour's budget has room for all of them, otherwise a
    /// count per person of what was held back (the hour's summary says how many).
    pub async fn writes(
        &self,
        store: &dyn Store,
        root: OrganisationId,
        notices: Vec<Notice>,
        now: Timestamp,
    ) -> DomainResult<Vec<Write>> {
        if notices.is_empty() {
            return Ok(vec![]);
        }
        let budget = Budget {
            name: "notice_emails",
            per_window: self.per_hour(store, now).await?,
            window_seconds: HOUR_SECONDS,
            code: "too_many_notices",
        };
        let count = notices.len() as u32;
        if budget.spend_many(store, &root.to_string(), count, now).await? == Spent::Allowed {
            return notices
                .iter()
                .map(|notice| Ok(OutboxMessage::email(&*self.seal, &notice.mail, now)?.write()))
                .collect();
        }
        let hour = now.unix_seconds() - now.unix_seconds().rem_euclid(HOUR_SECONDS);
        let mut writes = Vec::new();
        for notice in notices {
            hold_open(store, root, &notice, hour).await?;
            writes.push(Write::Update(
                Update::new(keys::held_notices_count(root, notice.to.id, hour)).add("count", 1),
            ));
        }
        Ok(writes)
    }

    /// Sends the summary of every person's held notices whose hour is over, and forgets them:
    /// a query per shard of what is due, then per person one transaction (the summary and the
    /// held records deleted), so a summary goes out once.
    pub async fn send_held(&self, store: &dyn Store, now: Timestamp) -> DomainResult<usize> {
        let mut sent = 0;
        for shard in 0..keys::HELD_SHARDS {
            let due = Query::new(Index::Gsi1, keys::held_notices_shard(shard))
                .sort(SortCondition::Below(format!("{:013}~", now.unix_millis())))
                .limit(crate::store::MAX_PAGE);
            for entry in store.query(&due).await?.items {
                sent += usize::from(self.summarise(store, &entry, now).await?);
            }
        }
        Ok(sent)
    }

    /// One person's summary of one organisation's hour. Whether one was sent.
    async fn summarise(&self, store: &dyn Store, entry: &Item, now: Timestamp) -> DomainResult<bool> {
        let held: Held = entry.record()?;
        let count_key = keys::held_notices_count(held.root, held.user_id, held.hour);
        let found = store
            .batch_get(&[count_key.clone(), keys::organisation(held.root)])
            .await?;
        let count = found[0]
            .as_ref()
            .and_then(|item| item.attribute("count"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let organisation = found[1]
            .as_ref()
            .map(|item| item.record::<Organisation>())
            .transpose()?
            .map_or_else(|| "an organisation".to_owned(), |organisation| organisation.name);
        let mut writes = vec![
            Write::Delete {
                key: entry.key.clone(),
                condition: Some(Condition::Exists),
            },
            Write::Delete {
                key: count_key,
                condition: None,
            },
        ];
        if count > 0 {
            let start = chrono::DateTime::from_timestamp(held.hour, 0).unwrap_or_default();
            let mail = EmailMessage::NoticesHeld {
                to: held.email,
                name: held.name,
                organisation,
                held: count,
                hour: format!(
                    "{}–{} UTC",
                    start.format("%Y-%m-%d %H:%M"),
                    (start + chrono::Duration::hours(1)).format("%H:%M")
                ),
                first: held.first,
                link: format!("{}/organisations/{}/alerts", self.web_url, held.root),
            };
            writes.push(OutboxMessage::email(&*self.seal, &mail, now)?.write());
        }
        match store.transact(writes).await {
            Ok(()) => Ok(count > 0),
            // Another sweep summed it up meanwhile.
            Err(StoreError::ConditionFailed { .. }) => Ok(false),
            Err(other) => Err(DomainError::from(other)),
        }
    }
}

/// A person's held notices of one organisation and hour, as the due entry records them.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Held {
    root: OrganisationId,
    user_id: UserId,
    email: crate::accounts::Email,
    name: String,
    /// Start of the hour, Unix seconds.
    hour: i64,
    /// The subject of the first notice held.
    first: String,
}

/// Opens a person's held notices for the hour, if not open yet: the due entry (in the index
/// housekeeping sweeps) and its count, together.
async fn hold_open(store: &dyn Store, root: OrganisationId, notice: &Notice, hour: i64) -> DomainResult<()> {
    let held = Held {
        root,
        user_id: notice.to.id,
        email: notice.to.email.clone(),
        name: notice.to.name.clone(),
        hour,
        first: notice.mail.subject(),
    };
    let entry = Item::from_record(keys::held_notices(root, notice.to.id, hour), &held)
        .with_gsi1(keys::held_notices_due(root, notice.to.id, (hour + HOUR_SECONDS) * 1000));
    let count = Item::new(keys::held_notices_count(root, notice.to.id, hour)).with("count", json!(0));
    let opened = store
        .transact(vec![
            Write::Put {
                item: entry,
                condition: Some(Condition::NotExists),
            },
            Write::Put {
                item: count,
                condition: Some(Condition::NotExists),
            },
        ])
        .await;
    match opened {
        Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
        Err(other) => Err(other.into()),
    }
}
