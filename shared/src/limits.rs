//! Budgets per actor and window: how many invitations one person sends, how many mails one
//! address receives, how many registrations one source makes. A budget is a counter item per
//! (budget, subject, window) that expires with its window, spent with a conditional write so
//! that racing requests cannot overspend it.

use crate::error::{DomainError, DomainResult};
use crate::ids::OrganisationId;
use crate::keys;
use crate::ports::Store;
use crate::store::{Condition, Index, Item, Query, SortCondition, StoreError, Update, Write};
use crate::time::Timestamp;

/// Things of a kind one organisation may hold at most (its rules: every message and every
/// SIM change is checked against them), a platform setting. Counted in an item of the
/// organisation's, changed in the transaction that creates or deletes one, so racing
/// creations cannot pass the cap together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    AlertRules,
    SimRules,
}

impl Cap {
    fn name(self) -> &'static str {
        match self {
            Cap::AlertRules => "alert_rules",
            Cap::SimRules => "sim_rules",
        }
    }

    fn limit(self, settings: &crate::settings::PlatformSettings) -> u32 {
        match self {
            Cap::AlertRules => settings.alert_rules_per_organisation,
            Cap::SimRules => settings.sim_rules_per_organisation,
        }
    }

    /// Where the things counted are kept: the organisation's partition, under this prefix.
    fn prefix(self) -> &'static str {
        match self {
            Cap::AlertRules => keys::ALERT_RULES_PREFIX,
            Cap::SimRules => keys::SIM_RULES_PREFIX,
        }
    }

    /// How many `organisation` holds, counted (once, when its counter is made: an
    /// organisation may hold rules from before caps were counted).
    async fn held(self, store: &dyn Store, organisation: OrganisationId) -> DomainResult<u64> {
        let mut held = 0;
        let mut cursor = None;
        loop {
            let page = store
                .query(
                    &Query::new(Index::Table, keys::organisation_partition(organisation))
                        .sort(SortCondition::BeginsWith(self.prefix().to_owned()))
                        .limit(crate::store::MAX_PAGE)
                        .after(cursor),
                )
                .await?;
            held += page.items.len() as u64;
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(held),
            }
        }
    }

    /// The write that counts one more for `organisation` (for the creation's transaction),
    /// with the answer its failure means: the organisation holds the platform's limit already.
    /// The counter is made the first time, from what the organisation holds.
    pub async fn one_more(self, store: &dyn Store, organisation: OrganisationId) -> DomainResult<(Write, DomainError)> {
        let counter = keys::held_count(organisation, self.name());
        let found = store.batch_get(&[keys::platform_settings(), counter.clone()]).await?;
        let settings: crate::settings::PlatformSettings = found[0]
            .as_ref()
            .map(|item| item.record())
            .transpose()?
            .unwrap_or_default();
        if found[1].is_none() {
            self.count_from_scratch(store, organisation).await?;
        }
        let limit = self.limit(&settings);
        let more = Update::new(counter)
            .add("count", 1)
            .when(Condition::AttributeBelow("count".into(), i64::from(limit)));
        let full = DomainError::conflict(
            "too_many_rules",
            format!(
                "this organisation holds {limit} {} already, the platform's limit; delete one first",
                self.name().replace('_', " ")
            ),
        );
        Ok((Write::Update(more), full))
    }

    /// The write that counts one less, for the deletion's transaction (the counter made
    /// first if it is not yet, the thing deleted still counted).
    pub async fn one_less(self, store: &dyn Store, organisation: OrganisationId) -> DomainResult<Write> {
        let counter = keys::held_count(organisation, self.name());
        if store.get(&counter).await?.is_none() {
            self.count_from_scratch(store, organisation).await?;
        }
        Ok(Write::Update(Update::new(counter).add("count", -1)))
    }

    /// Makes `organisation`'s counter from what it holds, unless another request made it.
    async fn count_from_scratch(self, store: &dyn Store, organisation: OrganisationId) -> DomainResult<()> {
        let first =
            Item::new(keys::held_count(organisation, self.name())).with("count", self.held(store, organisation).await?);
        applied(store.put(first, Some(Condition::NotExists)).await)?;
        Ok(())
    }
}

/// A number of actions allowed per fixed window of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The budget's name in keys and logs (`invitations`, `reset_mails`…).
    pub name: &'static str,
    pub per_window: u32,
    pub window_seconds: i64,
    /// The problem code a caller over budget gets.
    pub code: &'static str,
}

/// Whether a conditional write applied (`false`: its condition failed).
fn applied<T>(result: Result<T, StoreError>) -> DomainResult<bool> {
    match result {
        Ok(_) => Ok(true),
        Err(StoreError::ConditionFailed { .. }) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

/// The outcome of spending from a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spent {
    Allowed,
    /// Over budget until the window ends, this many seconds from now.
    Exhausted {
        retry_after_seconds: u64,
    },
}

impl Budget {
    /// Spends one action of `subject` (a user id, an address, a source address) at `now`.
    pub async fn spend(&self, store: &dyn Store, subject: &str, now: Timestamp) -> DomainResult<Spent> {
        let now = now.unix_seconds();
        let window = now - now.rem_euclid(self.window_seconds);
        let window_end = window + self.window_seconds;
        let key = keys::budget(self.name, subject, window);
        // In a busy window the counter exists: one conditional update. The first action of a
        // window creates it instead; if a racing first action created it meanwhile, the
        // update is tried once more. A failed update means absent or full; a failed create,
        // present.
        let spend = Update::new(key.clone())
            .add("count", 1)
            .when(Condition::AttributeBelow("count".into(), i64::from(self.per_window)));
        if applied(store.update(spend.clone()).await)? {
            return Ok(Spent::Allowed);
        }
        if self.per_window > 0 {
            let first = Item::new(key).with("count", 1).expiring_at(window_end);
            if applied(store.put(first, Some(Condition::NotExists)).await)? || applied(store.update(spend).await)? {
                return Ok(Spent::Allowed);
            }
        }
        Ok(Spent::Exhausted {
            retry_after_seconds: (window_end - now).max(1) as u64,
        })
    }

    /// Spends `count` actions at once, all or none: allowed only if the window has room for
    /// every one of them.
    pub async fn spend_many(
        &self,
        store: &dyn Store,
        subject: &str,
        count: u32,
        now: Timestamp,
    ) -> DomainResult<Spent> {
        let now = now.unix_seconds();
        let window = now - now.rem_euclid(self.window_seconds);
        let window_end = window + self.window_seconds;
        let exhausted = Spent::Exhausted {
            retry_after_seconds: (window_end - now).max(1) as u64,
        };
        if count > self.per_window {
            return Ok(exhausted);
        }
        let key = keys::budget(self.name, subject, window);
        let room = i64::from(self.per_window - count) + 1;
        let spend = Update::new(key.clone())
            .add("count", i64::from(count))
            .when(Condition::AttributeBelow("count".into(), room));
        if applied(store.update(spend.clone()).await)? {
            return Ok(Spent::Allowed);
        }
        let first = Item::new(key).with("count", count).expiring_at(window_end);
        if applied(store.put(first, Some(Condition::NotExists)).await)? || applied(store.update(spend).await)? {
            return Ok(Spent::Allowed);
        }
        Ok(exhausted)
    }

    /// Spends one action, answering 429 with this budget's code when it is exhausted.
    pub async fn require(&self, store: &dyn Store, subject: &str, now: Timestamp) -> DomainResult<()> {
        match self.spend(store, subject, now).await? {
            Spent::Allowed => Ok(()),
            Spent::Exhausted { retry_after_seconds } => Err(DomainError::Throttled {
                code: self.code,
                detail: format!(
                    "at most {} {} per {} minutes; try again later",
                    self.per_window,
                    self.name.replace('_', " "),
                    self.window_seconds / 60
                ),
                retry_after_seconds,
            }),
        }
    }
}
