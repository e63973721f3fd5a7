//! Reading the audit trail: an organisation's (owners) and the whole platform's (platform
//! admins), newest first, filtered by time, actor and action, paged with a cursor.

use super::Tenancy;
use super::access::authorize;
use super::grants::ReadAudit;
use crate::audit::AuditEvent;
use crate::error::DomainResult;
use crate::identity::{PlatformAdmin, Principal, require_platform_admin};
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::store::{Cursor, Index, Query, SortCondition};
use crate::time::Timestamp;
use crate::validation::{Collector, ValidationErrors};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub actor_id: Option<UserId>,
    pub action: Option<String>,
}

impl AuditFilter {
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        actor_id: Option<&str>,
        action: Option<&str>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = Collector::new();
        let mut time = |field: &str, text: Option<&str>| {
            text.and_then(|text| match chrono::DateTime::parse_from_rfc3339(text) {
                Ok(at) => Some(Timestamp::new(at.with_timezone(&chrono::Utc))),
                Err(_) => {
                    errors.push(
                        field.to_owned(),
                        "invalid_date",
                        "an RFC 3339 time, like 2024-05-28T16:09:33.584Z",
                    );
                    None
                }
            })
        };
        let (from, to) = (time("from", from), time("to", to));
        let actor_id = actor_id.and_then(|id| errors.check(UserId::parse(id, "actor_id")));
        errors.finish(|| AuditFilter {
            from,
            to,
            actor_id,
            action: action.map(str::to_owned),
        })
    }

    /// The sort-key range of the time window: event ids are UUIDv7, whose first 48 bits are
    /// the creation time in milliseconds, so a time prefix bounds them.
    fn window(&self) -> SortCondition {
        let prefix = |at: Timestamp| {
            let millis = at.as_datetime().timestamp_millis().max(0) as u64;
            format!("EVENT#{:08x}-{:04x}", millis >> 16, millis & 0xffff)
        };
        let low = self.from.map_or_else(|| "EVENT#".to_owned(), prefix);
        let high = self
            .to
            .map_or_else(|| "EVENT#~".to_owned(), |at| format!("{}~", prefix(at)));
        SortCondition::Between(low, high)
    }

    fn matches(&self, event: &AuditEvent) -> bool {
        self.actor_id.is_none_or(|actor| event.actor.user_id == Some(actor))
            && self.action.as_deref().is_none_or(|action| event.action == action)
    }
}

impl Tenancy {
    pub async fn organisation_audit(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        filter: &AuditFilter,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<AuditEvent>, Option<Cursor>)> {
        authorize::<ReadAudit>(&*self.store, principal, organisation_id).await?;
        self.audit_page(
            Query::new(Index::Table, keys::audit_partition(Some(organisation_id))),
            filter,
            limit,
            cursor,
        )
        .await
    }

    pub async fn platform_audit(
        &self,
        principal: &Principal,
        filter: &AuditFilter,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<AuditEvent>, Option<Cursor>)> {
        let admin = require_platform_admin(principal)?;
        self.everything_audited(&admin, filter, limit, cursor).await
    }

    /// The whole platform's trail, for platform admins (to anyone else it does not exist).
    async fn everything_audited(
        &self,
        _admin: &PlatformAdmin,
        filter: &AuditFilter,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<AuditEvent>, Option<Cursor>)> {
        self.audit_page(Query::new(Index::Gsi2, keys::ALL_AUDIT_EVENTS), filter, limit, cursor)
            .await
    }

    /// One page, newest first. Actor and action filters apply within the page, so a page may
    /// hold fewer events than `limit`; only `next: None` means the end.
    async fn audit_page(
        &self,
        query: Query,
        filter: &AuditFilter,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<AuditEvent>, Option<Cursor>)> {
        let page = self
            .store
            .query(&query.sort(filter.window()).descending().limit(limit).after(cursor))
            .await?;
        let mut events = Vec::new();
        for item in &page.items {
            let event: AuditEvent = item.record()?;
            if filter.matches(&event) {
                events.push(event);
            }
        }
        Ok((events, page.next))
    }
}
