//! SIM usage: records of data, SMS and voice over an interval, idempotent by record id, added
//! to the totals of the SIM's billing period in the same transaction; then the SIM's
//! data-usage rules are checked against the new total (`rules`).

use super::plans::BillingPeriod;
use super::rules::Firing;
use super::{Sims, sim_scope};
use crate::audit::RequestContext;
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::placement::Placement;
use crate::store::{Condition, Cursor, Index, Item, Query, SortCondition, StoreError, Update, Write};
use crate::telecom::Iccid;
use crate::tenancy::{ManageSims, ViewOrganisation};
use crate::time::Timestamp;
use crate::validation::{Collector, ValidationErrors};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The longest interval one record covers.
const MAX_RECORD_DAYS: i64 = 31;
/// How far a record may end after the server's clock (clocks drift).
const CLOCK_SKEW_SECONDS: i64 = 300;
const MAX_RECORD_ID_CHARS: usize = 100;
/// The most one record holds (10¹⁵ bytes, a million SMS, ~3 years of calls): a period's
/// totals stay far inside a signed 64-bit counter.
const MAX_DATA_BYTES: u64 = 1_000_000_000_000_000;
const MAX_SMS: u64 = 1_000_000;
const MAX_VOICE_SECONDS: u64 = 100_000_000;

/// `POST …/sims/{iccid}/usage`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UsageRecordRequest)]
pub struct UsagePayload {
    /// The sender's id of the record: sending it again changes nothing.
    #[schema(min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._:-]+$")]
    pub record_id: String,
    #[serde(deserialize_with = "crate::schema::whole_number")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000i64)]
    pub data_bytes: u64,
    #[serde(deserialize_with = "crate::schema::whole_number")]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub sms: u64,
    #[serde(deserialize_with = "crate::schema::whole_number")]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub voice_seconds: u64,
    /// The interval's start and end (RFC 3339); at most 31 days, not in the future.
    #[schema(value_type = String, format = DateTime)]
    pub from: String,
    #[schema(value_type = String, format = DateTime)]
    pub to: String,
}

/// A usage record, parsed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    pub record_id: String,
    pub data_bytes: u64,
    pub sms: u64,
    pub voice_seconds: u64,
    pub from: Timestamp,
    pub to: Timestamp,
}

impl UsageRecord {
    pub fn parse(raw: UsagePayload, now: Timestamp) -> Result<UsageRecord, ValidationErrors> {
        let mut errors = Collector::new();
        let id_ok = !raw.record_id.is_empty()
            && raw.record_id.len() <= MAX_RECORD_ID_CHARS
            && raw
                .record_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        for (field, value, max) in [
            ("data_bytes", raw.data_bytes, MAX_DATA_BYTES),
            ("sms", raw.sms, MAX_SMS),
            ("voice_seconds", raw.voice_seconds, MAX_VOICE_SECONDS),
        ] {
            if value > max {
                errors.push(field, "out_of_range", format!("{field} is at most {max} per record"));
            }
        }
        if !id_ok {
            errors.push(
                "record_id",
                "invalid_record_id",
                "1 to 100 letters, digits, '.', '_', ':' or '-'",
            );
        }
        let time = |errors: &mut Collector, field: &str, text: &str| match DateTime::parse_from_rfc3339(text) {
            Ok(at) => Some(Timestamp::new(at.with_timezone(&Utc))),
            Err(_) => {
                errors.push(field, "invalid_date", "an RFC 3339 time, like 2026-03-01T00:00:00Z");
                None
            }
        };
        let from = time(&mut errors, "from", &raw.from);
        let to = time(&mut errors, "to", &raw.to);
        if let (Some(from), Some(to)) = (from, to) {
            let seconds = to.unix_seconds() - from.unix_seconds();
            if seconds < 0 {
                errors.push("to", "before_from", "an interval ends after it starts");
            } else if seconds > MAX_RECORD_DAYS * 86_400 {
                errors.push("to", "too_long", "a record covers at most 31 days");
            }
            if to.unix_seconds() > now.unix_seconds() + CLOCK_SKEW_SECONDS {
                errors.push("to", "in_the_future", "usage is recorded once it happened");
            }
        }
        errors.finish(|| UsageRecord {
            record_id: raw.record_id,
            data_bytes: raw.data_bytes,
            sms: raw.sms,
            voice_seconds: raw.voice_seconds,
            from: from.expect("checked"),
            to: to.expect("checked"),
        })
    }
}

/// A SIM's usage in one billing period, while with one holder.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = UsagePeriod)]
pub struct PeriodTotals {
    /// The period's first day (UTC); the period is the SIM's plan's (monthly without a plan).
    pub period_start: String,
    /// The company and end user the SIM was with while it used this: a SIM that moves
    /// mid-period starts new totals with its new holder, who sees only their own.
    pub company_id: Option<OrganisationId>,
    pub end_user_id: Option<UserId>,
    pub data_bytes: u64,
    pub sms: u64,
    pub voice_seconds: u64,
    pub records: u64,
}

impl PeriodTotals {
    pub(super) fn of(item: &Item) -> PeriodTotals {
        let n = |name: &str| item.attribute(name).and_then(|v| v.as_u64()).unwrap_or(0);
        let placement = Placement::of_item(item);
        PeriodTotals {
            period_start: item
                .attribute("period_start")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned(),
            company_id: placement.company_id,
            end_user_id: placement.end_user_id,
            data_bytes: n("data_bytes"),
            sms: n("sms"),
            voice_seconds: n("voice_seconds"),
            records: n("records"),
        }
    }
}

/// A usage item's record attributes: when its period starts and whose it is.
fn stamped(item: Item, period: &str, placement: &Placement) -> Item {
    item.with("period_start", period)
        .with("company_id", serde_json::json!(placement.company_id))
        .with("end_user_id", serde_json::json!(placement.end_user_id))
}

/// The answer to a usage record.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = UsageRecorded)]
pub struct Recorded {
    /// Whether this record had been received before (and so changed nothing).
    pub duplicate: bool,
    pub period: PeriodTotals,
    /// The rules this record made fire.
    pub fired: Vec<Firing>,
}

impl Sims {
    /// Records usage of a SIM and fires the data-usage rules it makes cross their threshold.
    pub async fn record_usage(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        iccid: &Iccid,
        record: UsageRecord,
    ) -> DomainResult<Recorded> {
        let scope = sim_scope::<ManageSims>(&*self.store, principal, organisation_id).await?;
        if scope.company.is_some() {
            // Usage is the operator's account of a SIM, which the root receives; it fires the
            // root's rules too, so no company records it.
            return Err(DomainError::conflict(
                "root_only",
                "usage is recorded through the SIM's root organisation",
            ));
        }
        let (sim, _) = self.sim(scope.root, iccid).await?;
        let sim = scope.visible(sim)?;
        let plan = self.plan_of(&sim).await?;
        let period_length = plan.as_ref().map_or(BillingPeriod::Monthly, |plan| plan.billing_period);
        let period = period_length.start_of(record.to.as_datetime().date_naive()).to_string();
        let placement = sim.placement();
        let record_key = keys::usage_record(scope.root, iccid, &record.record_id);
        let period_key = keys::usage_period(scope.root, iccid, &period, &placement);
        let add = Update::new(period_key.clone())
            .add("data_bytes", record.data_bytes as i64)
            .add("sms", record.sms as i64)
            .add("voice_seconds", record.voice_seconds as i64)
            .add("records", 1);
        let writes = || {
            vec![
                Write::Put {
                    item: stamped(Item::from_record(record_key.clone(), &record), &period, &placement),
                    condition: Some(Condition::NotExists),
                },
                Write::Update(add.clone()),
            ]
        };
        let duplicate = match self.store.transact(writes()).await {
            Ok(()) => false,
            // The period's first record: its totals item is created, then the record is
            // tried again (a concurrent first record may have created it meanwhile).
            Err(StoreError::ConditionFailed { index: 1 }) => {
                match self
                    .store
                    .put(
                        stamped(Item::new(period_key.clone()), &period, &placement),
                        Some(Condition::NotExists),
                    )
                    .await
                {
                    Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                    Err(other) => return Err(other.into()),
                }
                match self.store.transact(writes()).await {
                    Ok(()) => false,
                    Err(StoreError::ConditionFailed { index: 0 }) => true,
                    Err(other) => return Err(other.into()),
                }
            }
            Err(StoreError::ConditionFailed { index: 0 }) => true,
            Err(other) => return Err(other.into()),
        };
        if duplicate {
            let stored: UsageRecord = self
                .store
                .get(&record_key)
                .await?
                .ok_or(DomainError::NotFound)?
                .record()?;
            if stored != record {
                return Err(DomainError::conflict(
                    "record_conflict",
                    "a different record was received with this record_id",
                ));
            }
        }
        let totals = self
            .store
            .get(&period_key)
            .await?
            .map(|item| PeriodTotals::of(&item))
            .ok_or_else(|| DomainError::Internal("the period's totals vanished".into()))?;
        let fired = self.check_data_rules(&sim, plan.as_ref(), &totals, context).await?;
        Ok(Recorded {
            duplicate,
            period: totals,
            fired,
        })
    }

    /// A SIM's usage per billing period and holder, newest first: what was used while the SIM
    /// was the caller's (the root's staff see every holder's).
    pub async fn usage(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        iccid: &Iccid,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<PeriodTotals>, Option<Cursor>)> {
        let scope = sim_scope::<ViewOrganisation>(&*self.store, principal, organisation_id).await?;
        let (sim, _) = self.sim(scope.root, iccid).await?;
        scope.visible(sim)?;
        let reader = scope.reader();
        let page = self
            .store
            .query(
                &Query::new(Index::Table, keys::usage_partition(scope.root, iccid))
                    .sort(SortCondition::BeginsWith(keys::USAGE_PERIODS_PREFIX.to_owned()))
                    .descending()
                    .limit(limit)
                    .after(cursor),
            )
            .await?;
        let periods = page
            .items
            .iter()
            .filter(|item| Placement::of_item(item).seen_by(&reader))
            .map(PeriodTotals::of)
            .collect();
        Ok((periods, page.next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn payload(from: &str, to: &str) -> UsagePayload {
        UsagePayload {
            record_id: "r-1".into(),
            data_bytes: 1,
            sms: 0,
            voice_seconds: 0,
            from: from.into(),
            to: to.into(),
        }
    }

    pub(super) fn now() -> Timestamp {
        Timestamp::new(
            DateTime::parse_from_rfc3339("2026-03-10T00:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        )
    }

    #[test]
    fn a_record_covers_a_past_interval_of_at_most_31_days() {
        let code = |from: &str, to: &str| UsageRecord::parse(payload(from, to), now()).unwrap_err().errors()[0].code;
        assert!(UsageRecord::parse(payload("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"), now()).is_ok());
        assert_eq!(code("2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z"), "before_from");
        assert_eq!(code("2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"), "too_long");
        assert_eq!(code("2026-03-10T00:00:00Z", "2026-03-11T00:00:00Z"), "in_the_future");
        assert_eq!(code("yesterday", "2026-03-01T00:00:00Z"), "invalid_date");
    }
}
