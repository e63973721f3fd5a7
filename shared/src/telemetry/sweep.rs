//! The sweep, once a minute: devices silent past their model's inactivity timeout raise
//! `offline` (read shard by shard from the silence index, no Scan), and notices held past an
//! organisation's hourly budget go out as one summary per person.

use super::Telemetry;
use crate::alerts::{AlertKind, Lost, Raise, Severity, handlers, park_silence};
use crate::devices::DeviceStatus;
use crate::error::DomainResult;
use crate::ids::{DeviceId, OrganisationId};
use crate::keys;
use crate::store::{Index, Item, Query, SortCondition, Write};
use serde_json::Value;

/// What the sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sweep {
    /// `offline` alerts raised.
    pub raised: u64,
    /// Silent devices with nothing to raise (not in service, or already offline).
    pub parked: u64,
    /// Silent devices that could not be handled (the next sweep tries again), and why the
    /// last of them could not.
    pub failed: u64,
    pub last_failure: Option<String>,
}

impl Telemetry {
    /// Sends the summaries of the notices organisations sent past their hourly e-mail budget,
    /// once each hour is over (see [`crate::notices`]).
    pub async fn send_held_notices(&self) -> DomainResult<usize> {
        self.notices.send_held(&*self.store, self.now()).await
    }

    /// Raises `offline` for every device in service whose silence is due, and parks the
    /// others: a query per shard up to now, pages of [`crate::store::MAX_PAGE`].
    pub async fn sweep_silent(&self) -> DomainResult<Sweep> {
        let mut sweep = Sweep::default();
        let now = self.now();
        for shard in 0..keys::SILENCE_SHARDS {
            let mut cursor = None;
            loop {
                let page = self
                    .store
                    .query(
                        &Query::new(Index::Gsi1, keys::silence_shard(shard))
                            .sort(SortCondition::Below(format!("{:013}~", now.unix_millis())))
                            .limit(crate::store::MAX_PAGE)
                            .after(cursor),
                    )
                    .await?;
                for item in &page.items {
                    match self.silent(item).await {
                        Ok(true) => sweep.raised += 1,
                        Ok(false) => sweep.parked += 1,
                        Err(error) => {
                            sweep.failed += 1;
                            sweep.last_failure = Some(error.to_string());
                        }
                    }
                }
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        Ok(sweep)
    }

    /// Handles one silent device's latest values: whether an `offline` alert was raised.
    pub(super) async fn silent(&self, latest: &Item) -> DomainResult<bool> {
        let Some(index) = latest.gsi1.as_ref() else {
            return Ok(false);
        };
        let mut ids = index.sk.splitn(3, '#').skip(1);
        let (Some(organisation), Some(device)) = (ids.next(), ids.next()) else {
            return Ok(false);
        };
        let (Ok(organisation), Ok(device)) = (
            OrganisationId::parse(organisation, "organisation"),
            DeviceId::parse(device, "device"),
        ) else {
            return Ok(false);
        };
        let last_ts = latest.attribute("last_ts").and_then(Value::as_i64).unwrap_or_default();
        let last_seq = latest.attribute("last_seq").and_then(Value::as_i64);
        let park = park_silence(latest.key.clone(), organisation, device, (last_ts, last_seq));
        let recorded = crate::placement::Placement::of_item(latest);
        // The device read afresh: one handed on, placed with another holder, retired or out of
        // service raises nothing (its present holder's silence has an entry of its own).
        self.targets.forget(device);
        let target = self.target(device).await?;
        let alerted = target
            .as_ref()
            .as_ref()
            .filter(|target| target.status == DeviceStatus::Active)
            .and_then(|target| target.alerted.clone())
            .filter(|alerted| alerted.organisation == organisation && alerted.placement() == recorded);
        let Some(alerted) = alerted else {
            self.park(park).await?;
            return Ok(false);
        };
        let last_seen = latest.attribute("last_seen").and_then(Value::as_str).unwrap_or("?");
        let raise = Raise {
            kind: AlertKind::Offline,
            rule: None,
            title: "Device offline".into(),
            severity: Severity::Major,
            message: format!("Nothing heard since {last_seen}, past its model's inactivity timeout."),
            value: None,
            recipients: handlers(),
        };
        match self.alarms().raise(&alerted, raise, vec![park.clone()]).await {
            Ok(_) => Ok(true),
            // Offline already (or a message came meanwhile: parking then fails, harmlessly).
            Err(Lost::Raced) => {
                self.park(park).await?;
                Ok(false)
            }
            Err(Lost::Failed(error)) => Err(error),
        }
    }

    async fn park(&self, park: Write) -> DomainResult<()> {
        match self.store.write_each(vec![park]).await?.into_iter().next() {
            Some(Err(crate::store::StoreError::ConditionFailed { .. })) | Some(Ok(())) | None => Ok(()),
            Some(Err(other)) => Err(other.into()),
        }
    }
}
