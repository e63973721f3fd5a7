//! Bulk pre-registration of devices (platform admins): a CSV file or `{devices: [...]}` of
//! `{imei, model_id, organisation_id?}`, idempotent by IMEI, in the SIM import's job shape —
//! up to [`MAX_SYNC_ROWS`] rows answered at once with the per-row report, a larger file as a
//! job of queued chunks. A row naming an organisation hands the device to it as it is
//! registered (or, registered already and still the platform's, then).
//!
//! Each device is its IMEI's claim and its own item, written whole in a transaction of up to
//! [`DEVICES_PER_TRANSACTION`] with the audit events, so no row is half-written; a row
//! written before by the same job and row (a redelivered chunk) reports `created` again.

use super::Devices;
use super::registry::{Device, device_item, is_shared_root};
use crate::audit::{Actor, AuditEvent, RequestContext};
use crate::devices::registry::ImeiClaim;
use crate::error::{DomainError, DomainResult};
use crate::identity::{Organisation, PlatformAdmin};
use crate::ids::{DeviceId, DeviceModelId, JobId, OrganisationId};
use crate::jobs::{
    ImportAnswer, Job, JobKind, JobView, MAX_SYNC_ROWS, ROWS_PER_CHUNK, chunk_rows, job_view, record_done, start_queued,
};
use crate::ports::{Clock, Store};
use crate::rows::{RawRow, RowFile, RowFormat, RowOutcome, RowReport, check_file};
use crate::store::{Condition, Cursor, Item, Key, StoreError, Write};
use crate::telecom::Imei;
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use crate::{keys, schema};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Devices per transaction: two writes each (the IMEI's claim and the device) and an audit
/// event for the platform and each organisation handed one, within DynamoDB's 100.
pub const DEVICES_PER_TRANSACTION: usize = 30;

/// One row of a device import.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DeviceImportRow)]
pub struct DeviceImportRow {
    /// 15 digits with a Luhn check digit, or the 14 without it (completed).
    #[schema(value_type = Imei)]
    pub imei: String,
    #[schema(schema_with = uuid)]
    pub model_id: String,
    /// A shared root organisation to hand the device to.
    #[schema(schema_with = schema::optional_uuid)]
    pub organisation_id: Option<String>,
}

fn uuid() -> utoipa::openapi::schema::Schema {
    schema::uuid_input().into()
}

/// A device import file: `{devices: [...]}`, or CSV of the rows' columns.
impl RowFile for DeviceImportRow {
    const FORMAT: RowFormat = RowFormat {
        columns: &["imei", "model_id", "organisation_id"],
        required: "imei",
        lists: &[],
        wrapper: Some("devices"),
    };
}

/// A row parsed.
#[derive(Debug, Clone)]
struct NewDevice {
    imei: Imei,
    model_id: DeviceModelId,
    organisation_id: Option<OrganisationId>,
}

fn parse_row(row: u64, raw: RawRow) -> Result<NewDevice, RowReport> {
    let shown = raw.get("imei").and_then(Value::as_str).map(str::to_owned);
    let report = |imei: Option<String>| RowReport::device(row, imei, RowOutcome::Error);
    let payload: DeviceImportRow =
        serde_json::from_value(raw).map_err(|_| report(shown.clone()).refused("row", "invalid_row"))?;
    let first = |errors: crate::validation::ValidationErrors, imei: Option<String>| {
        let error = &errors.errors()[0];
        report(imei).refused(&error.field, error.code)
    };
    let imei = Imei::parse(&payload.imei, "imei").map_err(|e| first(e, shown))?;
    let shown = Some(imei.as_str().to_owned());
    let model_id = DeviceModelId::parse(&payload.model_id, "model_id").map_err(|e| first(e, shown.clone()))?;
    let organisation_id = payload
        .organisation_id
        .map(|id| OrganisationId::parse(&id, "organisation_id"))
        .transpose()
        .map_err(|e| first(e, shown))?;
    Ok(NewDevice {
        imei,
        model_id,
        organisation_id,
    })
}

impl Devices {
    /// Pre-registers the devices of a file (platform admins): at once up to
    /// [`MAX_SYNC_ROWS`] rows, as a job beyond.
    pub async fn import_devices(
        &self,
        admin: &PlatformAdmin,
        context: &RequestContext,
        rows: Vec<RawRow>,
    ) -> DomainResult<ImportAnswer> {
        check_file(&rows)?;
        let total = rows.len() as u64;
        let now = self.now();
        let job_id = JobId::generate();
        let actor = admin.actor();
        let started = AuditEvent::by(actor.clone())
            .did("device.import_started")
            .on("job", job_id)
            .changes(json!({ "rows": total }))
            .at(now, context);
        if rows.len() <= MAX_SYNC_ROWS {
            let job = Job::new(job_id, JobKind::DeviceImport, actor.clone(), None, None, total, 1, now);
            let reports = register_rows(&*self.store, &*self.clock, &actor, job_id, 1, rows).await?;
            let view = record_done(&*self.store, job, reports, started, self.now()).await?;
            return Ok(ImportAnswer::Done(view));
        }
        let chunks = chunk_rows(job_id, rows, ROWS_PER_CHUNK, None);
        let job = Job::new(
            job_id,
            JobKind::DeviceImport,
            actor,
            None,
            None,
            total,
            chunks.len() as u32,
            now,
        );
        let view = start_queued(&*self.store, &*self.jobs, job, chunks, started, now).await?;
        Ok(ImportAnswer::Queued(view))
    }

    /// A device import job with a page of its report (platform admins).
    pub async fn import_job(
        &self,
        _: &PlatformAdmin,
        job_id: JobId,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<JobView> {
        job_view(&*self.store, JobKind::DeviceImport, job_id, limit, cursor, |job| {
            job.organisation_id.is_none()
        })
        .await
    }
}

/// Registers the rows numbered from `first_row` (a device import's, or one chunk of it):
/// parses each, checks the models and organisations they name, writes the new devices, and
/// reports on every row in order.
pub(crate) async fn register_rows(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    job: JobId,
    first_row: u64,
    rows: Vec<RawRow>,
) -> DomainResult<Vec<RowReport>> {
    let mut reports: BTreeMap<u64, RowReport> = BTreeMap::new();
    let mut candidates: Vec<(u64, NewDevice)> = Vec::new();
    let mut seen = BTreeSet::new();
    for (offset, raw) in rows.into_iter().enumerate() {
        let row = first_row + offset as u64;
        match parse_row(row, raw) {
            Err(report) => {
                reports.insert(row, report);
            }
            Ok(new) if !seen.insert(new.imei.clone()) => {
                let report = RowReport::device(row, Some(new.imei.as_str().to_owned()), RowOutcome::Error);
                reports.insert(row, report.refused("imei", "duplicate_in_file"));
            }
            Ok(new) => candidates.push((row, new)),
        }
    }
    let candidates = known_references(store, candidates, &mut reports).await?;
    for group in candidates.chunks(DEVICES_PER_TRANSACTION) {
        for report in write_group(store, clock, actor, job, group).await? {
            reports.insert(report.row, report);
        }
    }
    Ok(reports.into_values().collect())
}

/// The rows whose model exists and whose organisation, if named, is a shared root; the
/// others are reported.
async fn known_references(
    store: &dyn Store,
    candidates: Vec<(u64, NewDevice)>,
    reports: &mut BTreeMap<u64, RowReport>,
) -> DomainResult<Vec<(u64, NewDevice)>> {
    let models: BTreeSet<DeviceModelId> = candidates.iter().map(|(_, new)| new.model_id).collect();
    let organisations: BTreeSet<OrganisationId> =
        candidates.iter().filter_map(|(_, new)| new.organisation_id).collect();
    let mut wanted: Vec<Key> = models.iter().map(|m| keys::device_model(*m)).collect();
    wanted.extend(organisations.iter().map(|o| keys::organisation(*o)));
    let mut found = Vec::with_capacity(wanted.len());
    // BatchGetItem reads at most 100 keys a call.
    for keys in wanted.chunks(100) {
        found.extend(store.batch_get(keys).await?);
    }
    let (model_items, organisation_items) = found.split_at(models.len());
    let known_models: BTreeSet<DeviceModelId> = models
        .iter()
        .zip(model_items)
        .filter(|(_, item)| item.is_some())
        .map(|(id, _)| *id)
        .collect();
    let mut roots = BTreeSet::new();
    for (id, item) in organisations.iter().zip(organisation_items) {
        if let Some(item) = item
            && is_shared_root(&item.record::<Organisation>()?)
        {
            roots.insert(*id);
        }
    }
    Ok(candidates
        .into_iter()
        .filter_map(|(row, new)| {
            let report = RowReport::device(row, Some(new.imei.as_str().to_owned()), RowOutcome::Error);
            if !known_models.contains(&new.model_id) {
                reports.insert(row, report.refused("model_id", "unknown_model"));
                None
            } else if new.organisation_id.is_some_and(|o| !roots.contains(&o)) {
                reports.insert(row, report.refused("organisation_id", "not_a_root_organisation"));
                None
            } else {
                Some((row, new))
            }
        })
        .collect())
}

/// Writes one group of devices in one transaction. An IMEI registered already reports
/// `unchanged` when its device has the row's model (and organisation, if one is named),
/// `changed` when the row hands the platform's device to its organisation, and `imei_taken`
/// otherwise. A group that loses a race to a concurrent import is read and planned again.
async fn write_group(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    job: JobId,
    group: &[(u64, NewDevice)],
) -> DomainResult<Vec<RowReport>> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let claim_keys: Vec<Key> = group.iter().map(|(_, new)| keys::imei(&new.imei)).collect();
        let claims: Vec<Option<ImeiClaim>> = store
            .batch_get(&claim_keys)
            .await?
            .iter()
            .map(|item| item.as_ref().map(Item::record).transpose())
            .collect::<Result<_, _>>()?;
        let device_keys: Vec<Key> = claims.iter().flatten().map(|c| keys::device(c.device_id)).collect();
        let mut existing: BTreeMap<DeviceId, (Device, u64)> = BTreeMap::new();
        for item in store.batch_get(&device_keys).await?.into_iter().flatten() {
            let device: Device = item.record()?;
            existing.insert(device.id, (device, item.version));
        }
        let now = Timestamp::new(clock.now());
        let mut reports = Vec::new();
        let mut unit = UnitOfWork::new();
        let mut registered = Vec::new();
        let mut handed: BTreeMap<OrganisationId, Vec<DeviceId>> = BTreeMap::new();
        for ((row, new), claim) in group.iter().zip(claims) {
            let report = RowReport::device(*row, Some(new.imei.as_str().to_owned()), RowOutcome::Created);
            let Some(claim) = claim else {
                let device = Device::registered(DeviceId::generate(), new.imei.clone(), new.model_id, now);
                let device = Device {
                    organisation_id: new.organisation_id,
                    ..device
                };
                let claim = ImeiClaim {
                    device_id: device.id,
                    job_id: Some(job),
                    row: Some(*row),
                };
                unit = unit
                    .write_or(
                        Write::Put {
                            item: Item::from_record(keys::imei(&device.imei), &claim),
                            condition: Some(Condition::NotExists),
                        },
                        DomainError::conflict("imei_taken", "registered meanwhile"),
                    )
                    .write(Write::Put {
                        item: device_item(&device, None),
                        condition: Some(Condition::NotExists),
                    });
                registered.push(device.id);
                if let Some(organisation) = device.organisation_id {
                    handed.entry(organisation).or_default().push(device.id);
                }
                reports.push(report);
                continue;
            };
            let Some((device, version)) = existing.get(&claim.device_id) else {
                return Err(DomainError::Internal(format!(
                    "IMEI {} claims a missing device",
                    new.imei
                )));
            };
            let outcome = if claim.job_id == Some(job) && claim.row == Some(*row) {
                // Registered by this very row before (a redelivered chunk).
                RowOutcome::Created
            } else if claim.job_id == Some(job) {
                // Registered by another row of this file, in another chunk.
                reports.push(report.refused("imei", "duplicate_in_file"));
                continue;
            } else if device.model_id != new.model_id {
                reports.push(report.refused("imei", "imei_taken"));
                continue;
            } else if new.organisation_id.is_none() || device.organisation_id == new.organisation_id {
                RowOutcome::Unchanged
            } else if let (None, Some(organisation)) = (device.organisation_id, new.organisation_id) {
                let moved = Device {
                    organisation_id: Some(organisation),
                    updated_at: now,
                    ..device.clone()
                };
                unit = unit.write_or(
                    Write::Put {
                        item: device_item(&moved, Some(*version)),
                        condition: Some(Condition::VersionIs(*version)),
                    },
                    DomainError::conflict("concurrent_change", "changed meanwhile"),
                );
                handed.entry(organisation).or_default().push(moved.id);
                RowOutcome::Changed
            } else {
                reports.push(report.refused("organisation_id", "assigned_elsewhere"));
                continue;
            };
            reports.push(RowReport { outcome, ..report });
        }
        if registered.is_empty() && handed.is_empty() {
            return Ok(reports);
        }
        let event = |did: &str, ids: &[DeviceId], trail: Option<OrganisationId>| {
            let event = AuditEvent::by(actor.clone()).did(did).on("job", job);
            trail
                .map_or(event.clone(), |organisation| event.in_organisation(organisation))
                .changes(json!({ "device_ids": ids, "job_id": job }))
                .at(now, &RequestContext::default())
        };
        if !registered.is_empty() {
            unit = unit.audit(event("device.imported", &registered, None));
        }
        for (organisation, ids) in &handed {
            unit = unit.audit(event("device.assigned", ids, Some(*organisation)));
        }
        match unit.commit(store).await {
            Ok(()) => return Ok(reports),
            Err(
                DomainError::Conflict {
                    code: "imei_taken" | "concurrent_change",
                    ..
                }
                | DomainError::Store(StoreError::Contention),
            ) if attempts < 5 => continue,
            Err(other) => return Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_reported_with_its_first_field_error_and_a_14_digit_imei_is_completed() {
        let model = DeviceModelId::generate().to_string();
        let bad = parse_row(3, json!({ "imei": "490154203237519", "model_id": model })).unwrap_err();
        assert_eq!((bad.row, bad.code.as_deref()), (3, Some("invalid_check_digit")));
        let unknown = parse_row(4, json!({ "imei": "1", "colour": "red" })).unwrap_err();
        assert_eq!(unknown.code.as_deref(), Some("invalid_row"));
        let good = parse_row(5, json!({ "imei": "49015420323751", "model_id": model })).unwrap();
        assert_eq!(good.imei.as_str(), "490154203237518");
    }
}
