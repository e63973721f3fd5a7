//! Runs one queued chunk of a job through the use case its kind names (a SIM import, a bulk
//! change of SIMs, a device import), then records its report and the job's progress; and gives
//! a chunk up after its last attempt. It sits above SIMs and devices, so neither imports the
//! other for the sake of their jobs.

use crate::devices::register_rows;
use crate::error::{DomainError, DomainResult};
use crate::ids::OrganisationId;
use crate::jobs::{Job, JobKind, job_progress, record_chunk};
use crate::keys;
use crate::ports::ChunkOfRows;
use crate::rows::RowReport;
use crate::sims::Sims;
use crate::telecom::SimAction;

/// Processes one queued chunk: its rows, then its report and the job's progress in one
/// transaction, once (a redelivered chunk whose report exists changes nothing).
pub async fn run_chunk(sims: &Sims, chunk: ChunkOfRows) -> DomainResult<()> {
    let report_key = keys::job_report(chunk.job_id, chunk.chunk);
    let found = sims.store.batch_get(&[keys::job(chunk.job_id), report_key]).await?;
    let job: Job = found[0]
        .as_ref()
        .ok_or_else(|| DomainError::Internal(format!("chunk {} of an unknown job {}", chunk.chunk, chunk.job_id)))?
        .record()?;
    if found[1].is_some() {
        return Ok(());
    }
    let mut digest = None;
    let reports = match (job.kind, job.organisation_id, chunk.action) {
        (JobKind::Import, Some(organisation), _) => {
            sims.import_rows(organisation, job.company_id, Some(job.id), chunk.first_row, chunk.rows)
                .await?
        }
        (JobKind::Bulk, Some(_), Some(action)) => {
            let (reports, tallies) = sims.change_rows(&job, action, chunk.first_row, chunk.rows).await?;
            digest = Some(serde_json::to_value(tallies).map_err(|e| DomainError::Internal(e.to_string()))?);
            reports
        }
        (JobKind::DeviceImport, None, _) => {
            register_rows(
                &*sims.store,
                &*sims.clock,
                &job.actor,
                job.id,
                chunk.first_row,
                chunk.rows,
            )
            .await?
        }
        _ => {
            return Err(DomainError::Internal(format!(
                "chunk {} does not fit its job {}",
                chunk.chunk, job.id
            )));
        }
    };
    record_chunk(&*sims.store, &job, chunk.chunk, &reports, digest, sims.now()).await?;
    if let (JobKind::Bulk, Some(root), Some(action)) = (job.kind, job.organisation_id, chunk.action) {
        finish_bulk(sims, &job, root, action).await?;
    }
    Ok(())
}

/// Once every chunk of a bulk job is done, its digests go out (whoever sees it complete
/// first; each digest once).
async fn finish_bulk(sims: &Sims, job: &Job, root: OrganisationId, action: SimAction) -> DomainResult<()> {
    let chunks_done = job_progress(&*sims.store, job.id).await?.map(|(_, done)| done);
    if chunks_done.is_some_and(|done| done >= job.chunks) {
        sims.send_digests(job.id, root, action).await?;
    }
    Ok(())
}

/// Gives a chunk up after its last attempt failed: every row is reported `not_processed`
/// (with its progress, so the job still completes), unless a report exists already.
pub async fn give_up_chunk(sims: &Sims, chunk: &ChunkOfRows) -> DomainResult<()> {
    let Some(item) = sims.store.get(&keys::job(chunk.job_id)).await? else {
        return Ok(());
    };
    let job: Job = item.record()?;
    let reports: Vec<RowReport> = (0..chunk.rows.len())
        .map(|offset| RowReport::error(chunk.first_row + offset as u64, None, None, "not_processed"))
        .collect();
    record_chunk(&*sims.store, &job, chunk.chunk, &reports, None, sims.now()).await?;
    if let (JobKind::Bulk, Some(root), Some(action)) = (job.kind, job.organisation_id, chunk.action) {
        finish_bulk(sims, &job, root, action).await?;
    }
    Ok(())
}
