//! What devices report, as their organisation reads it (issue 14, item 6): a device's latest
//! values, its points over a time range in either direction, and aggregates per interval
//! for charts. Staff read every device's; an end user their own devices'.

use super::Devices;
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::{DeviceId, OrganisationId};
use crate::keys;
use crate::placement::Placement;
use crate::store::{Cursor, Index, Item, Query, SortCondition};
use crate::tenancy::ViewOrganisation;
use crate::time::Timestamp;
use crate::validation::{Collector, ValidationErrors};
use chrono::DateTime;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Points an aggregate reads at most; a longer range is refused (`range_too_large`).
pub const MAX_AGGREGATED_POINTS: usize = 20_000;

/// `GET …/devices/{device_id}/latest`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = LatestValues)]
pub struct Latest {
    /// When the newest message was taken; null before the first.
    pub last_seen: Option<Timestamp>,
    /// By port number: `{value, ts}`.
    #[schema(value_type = Object)]
    pub values: Map<String, Value>,
    /// `{lat, lon, ts}` of the newest message with a position.
    #[schema(value_type = Option<Object>)]
    pub position: Option<Value>,
}

/// A stored point, as listed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = TelemetryPoint)]
pub struct Point {
    pub ts: Timestamp,
    pub seq: u64,
    /// Calibrated values by port number.
    #[schema(value_type = Object)]
    pub values: Map<String, Value>,
    #[schema(value_type = Option<Object>)]
    pub position: Option<Value>,
}

/// One interval of an aggregate: per port, `{min, max, avg, count}` of its numbers.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = TelemetryBucket)]
pub struct Bucket {
    pub start: Timestamp,
    #[schema(value_type = Object)]
    pub ports: Map<String, Value>,
}

/// `GET …/telemetry/aggregate`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = TelemetryAggregate)]
pub struct Aggregate {
    pub interval_seconds: u32,
    pub buckets: Vec<Bucket>,
}

/// One port's numbers in one interval.
#[derive(Debug, Clone, Copy)]
struct Stats {
    min: f64,
    max: f64,
    sum: f64,
    count: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            min: f64::MAX,
            max: f64::MIN,
            sum: 0.0,
            count: 0,
        }
    }
}

impl Stats {
    fn add(&mut self, number: f64) {
        self.min = self.min.min(number);
        self.max = self.max.max(number);
        self.sum += number;
        self.count += 1;
    }
}

/// A time range and ports, parsed from a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    pub from: Timestamp,
    pub to: Timestamp,
    /// None: every port.
    pub ports: Option<BTreeSet<u8>>,
}

impl Range {
    /// `from` and `to` (RFC 3339; `to` now if left out, `from` a day before `to`) and `ports`
    /// (comma-separated port numbers).
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        ports: Option<&str>,
        now: Timestamp,
    ) -> Result<Range, ValidationErrors> {
        let mut errors = Collector::new();
        let mut instant = |field: &str, text: Option<&str>| match text.map(DateTime::parse_from_rfc3339) {
            None => Some(None),
            Some(Ok(at)) => Some(Some(Timestamp::new(at.to_utc()))),
            Some(Err(_)) => {
                errors.push(field, "invalid_date_time", "an RFC 3339 date-time");
                None
            }
        };
        let to = instant("to", to).map(|to| to.unwrap_or(now));
        let from = instant("from", from);
        let ports = ports.map(|text| {
            text.split(',')
                .map(|port| port.trim().parse::<u8>().ok().filter(|p| *p > 0))
                .collect::<Option<BTreeSet<u8>>>()
        });
        if ports.as_ref().is_some_and(Option::is_none) {
            errors.push("ports", "invalid_ports", "port numbers from 1 to 255, comma-separated");
        }
        let (Some(to), Some(from)) = (to, from) else {
            return Err(errors.finish(|| ()).unwrap_err());
        };
        let from = from.unwrap_or_else(|| to.plus(chrono::Duration::days(-1)));
        // Points are keyed by 13-digit milliseconds since 1970: the instants they can hold.
        for (field, at) in [("from", from), ("to", to)] {
            if !(0..10_000_000_000_000).contains(&at.unix_millis()) {
                errors.push(field, "out_of_range", "from 1970 to 2286");
            }
        }
        if from > to {
            errors.push("from", "after_to", "from comes before to");
        }
        errors.finish(|| Range {
            from,
            to,
            ports: ports.flatten(),
        })
    }

    fn sort_condition(&self) -> SortCondition {
        SortCondition::Between(
            keys::telemetry_sort_key(self.from.unix_millis(), 0),
            keys::telemetry_sort_key(self.to.unix_millis(), u64::MAX),
        )
    }

    fn point(&self, item: &Item) -> DomainResult<Point> {
        let stored: Value = item.record()?;
        let ts: Timestamp =
            serde_json::from_value(stored["ts"].clone()).map_err(|e| DomainError::Internal(e.to_string()))?;
        let values = stored["values"]
            .as_object()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|(port, _)| {
                self.ports
                    .as_ref()
                    .is_none_or(|ports| port.parse().is_ok_and(|p: u8| ports.contains(&p)))
            })
            .collect();
        Ok(Point {
            ts,
            seq: stored["seq"].as_u64().unwrap_or_default(),
            values,
            position: stored.get("position").filter(|p| !p.is_null()).cloned(),
        })
    }
}

impl Devices {
    /// A device's latest values and last-seen.
    pub async fn latest(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: DeviceId,
    ) -> DomainResult<Latest> {
        let (device, _, fleet) = self
            .device_for::<ViewOrganisation>(principal, organisation_id, id)
            .await?;
        // Since the device came to its present holder: what it reported before is not theirs.
        let latest = keys::device_latest(fleet.root, &device.placement(), device.id);
        let Some(item) = self.store.get(&latest).await? else {
            return Ok(Latest {
                last_seen: None,
                values: Map::new(),
                position: None,
            });
        };
        let stored: Map<String, Value> = item.record()?;
        Ok(Latest {
            last_seen: serde_json::from_value(stored.get("last_seen").cloned().unwrap_or_default()).ok(),
            values: stored
                .iter()
                .filter_map(|(name, value)| Some((name.strip_prefix("port_")?.to_owned(), value.clone())))
                .collect(),
            position: stored.get("position").cloned(),
        })
    }

    /// A page of a device's points in `range`, oldest first or (`newest_first`) newest first.
    pub async fn points(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: DeviceId,
        (range, newest_first): (Range, bool),
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<Point>, Option<Cursor>)> {
        let (device, _, fleet) = self
            .device_for::<ViewOrganisation>(principal, organisation_id, id)
            .await?;
        let mut query = Query::new(Index::Table, keys::telemetry_partition(fleet.root, device.id))
            .sort(range.sort_condition())
            .limit(limit)
            .after(cursor);
        if newest_first {
            query = query.descending();
        }
        let page = self.store.query(&query).await?;
        let reader = fleet.reader();
        let points = page
            .items
            .iter()
            .filter(|item| Placement::of_item(item).seen_by(&reader))
            .map(|item| range.point(item))
            .collect::<Result<_, _>>()?;
        Ok((points, page.next))
    }

    /// Min, max, average and count of each port's numbers per `interval_seconds` over
    /// `range` (at most [`MAX_AGGREGATED_POINTS`] points read).
    pub async fn aggregate(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: DeviceId,
        range: Range,
        interval_seconds: u32,
    ) -> DomainResult<Aggregate> {
        let (device, _, fleet) = self
            .device_for::<ViewOrganisation>(principal, organisation_id, id)
            .await?;
        let reader = fleet.reader();
        let interval = i64::from(interval_seconds.max(1)) * 1_000;
        let mut buckets: BTreeMap<i64, BTreeMap<String, Stats>> = BTreeMap::new();
        let mut cursor = None;
        let mut read = 0;
        loop {
            let page = self
                .store
                .query(
                    &Query::new(Index::Table, keys::telemetry_partition(fleet.root, device.id))
                        .sort(range.sort_condition())
                        .limit(1_000)
                        .after(cursor),
                )
                .await?;
            read += page.items.len();
            if read > MAX_AGGREGATED_POINTS {
                return Err(ValidationErrors::single(
                    "from",
                    "range_too_large",
                    format!("at most {MAX_AGGREGATED_POINTS} points an aggregate: a shorter range"),
                )
                .into());
            }
            for item in page
                .items
                .iter()
                .filter(|item| Placement::of_item(item).seen_by(&reader))
            {
                let point = range.point(item)?;
                let start = point.ts.unix_millis().div_euclid(interval) * interval;
                let bucket = buckets.entry(start).or_default();
                for (port, value) in point.values {
                    let Some(number) = value.as_f64().or_else(|| value.as_bool().map(f64::from)) else {
                        continue;
                    };
                    bucket.entry(port).or_default().add(number);
                }
            }
            cursor = page.next;
            if cursor.is_none() {
                break;
            }
        }
        Ok(Aggregate {
            interval_seconds,
            buckets: buckets
                .into_iter()
                .map(|(start, ports)| Bucket {
                    start: Timestamp::from_unix_millis(start).unwrap_or(range.from),
                    ports: ports
                        .into_iter()
                        .map(|(port, stats)| {
                            let avg = stats.sum / stats.count as f64;
                            (
                                port,
                                serde_json::json!({ "min": stats.min, "max": stats.max, "avg": avg, "count": stats.count }),
                            )
                        })
                        .collect(),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_defaults_to_the_last_day_and_refuses_from_after_to() {
        let now = Timestamp::new(DateTime::parse_from_rfc3339("2026-03-02T00:00:00Z").unwrap().to_utc());
        let range = Range::parse(None, None, Some("1,3"), now).unwrap();
        assert_eq!(range.from.to_string(), "2026-03-01T00:00:00.000Z");
        assert_eq!(range.ports, Some(BTreeSet::from([1, 3])));
        let codes = |result: Result<Range, ValidationErrors>| -> Vec<&'static str> {
            result.unwrap_err().errors().iter().map(|e| e.code).collect()
        };
        assert_eq!(
            codes(Range::parse(Some("2026-03-03T00:00:00Z"), None, None, now)),
            ["after_to"]
        );
        assert_eq!(
            codes(Range::parse(Some("yesterday"), None, Some("0"), now)),
            ["invalid_date_time", "invalid_ports"]
        );
    }
}
