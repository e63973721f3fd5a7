//! A job's life in the store: recorded done at once, or recorded and queued; each chunk's
//! report and the job's progress; a page of the report.

use crate::audit::AuditEvent;
use crate::error::{DomainError, DomainResult};
use crate::ids::JobId;
use crate::jobs::{Job, JobCounts, JobKind, JobState, JobView, retention_end};
use crate::keys;
use crate::ports::{ChunkOfRows, JobQueue, Store};
use crate::rows::RowReport;
use crate::store::{Condition, Cursor, Index, Item, StoreError, Update, Write};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;

/// A chunk's report, kept with the job.
pub(crate) fn report_item(job: &Job, chunk: u32, reports: &[RowReport]) -> DomainResult<Item> {
    let rows = serde_json::to_value(reports).map_err(|e| DomainError::Internal(e.to_string()))?;
    Ok(Item::new(keys::job_report(job.id, chunk))
        .with("rows", rows)
        .expiring_at(retention_end(job.created_at)))
}

/// The progress stored beside a job record: its counts and chunks done.
fn progress_of(item: &Item) -> (JobCounts, u32) {
    let n = |name: &str| item.attribute(name).and_then(|v| v.as_u64()).unwrap_or(0);
    let counts = JobCounts {
        created: n("created"),
        changed: n("changed"),
        unchanged: n("unchanged"),
        error: n("error"),
    };
    (counts, n("chunks_done") as u32)
}

/// Records a job done at once (at most [`super::MAX_SYNC_ROWS`] rows): the job with its whole
/// report, kept like any other, and the event that started it.
pub(crate) async fn record_done(
    store: &dyn Store,
    job: Job,
    reports: Vec<RowReport>,
    started: AuditEvent,
    now: Timestamp,
) -> DomainResult<JobView> {
    let counts = JobCounts::of(&reports);
    let finished = Job {
        finished_at: Some(now),
        ..job
    };
    UnitOfWork::new()
        .write(Write::Put {
            item: finished.item(counts, 1),
            condition: Some(Condition::NotExists),
        })
        .write(Write::Put {
            item: report_item(&finished, 0, &reports)?,
            condition: Some(Condition::NotExists),
        })
        .audit(started)
        .commit(store)
        .await?;
    Ok(JobView::of(&finished, counts, 1, reports, None))
}

/// Records a job of `chunks` with the event that started it, and queues the chunks.
pub(crate) async fn start_queued(
    store: &dyn Store,
    jobs: &dyn JobQueue,
    job: Job,
    chunks: Vec<ChunkOfRows>,
    started: AuditEvent,
    now: Timestamp,
) -> DomainResult<JobView> {
    UnitOfWork::new()
        .write(Write::Put {
            item: job.item(JobCounts::default(), 0),
            condition: Some(Condition::NotExists),
        })
        .audit(started)
        .commit(store)
        .await?;
    queue_chunks(store, jobs, &job, chunks, now).await?;
    Ok(JobView::of(&job, JobCounts::default(), 0, vec![], None))
}

/// Hands a recorded job's chunks to the queue; the job fails if they cannot all be queued.
pub(crate) async fn queue_chunks(
    store: &dyn Store,
    jobs: &dyn JobQueue,
    job: &Job,
    chunks: Vec<ChunkOfRows>,
    now: Timestamp,
) -> DomainResult<()> {
    let Err(reason) = jobs.enqueue(chunks).await else {
        return Ok(());
    };
    let failed = Update::new(keys::job(job.id))
        .set("state", serde_json::json!(JobState::Failed))
        .set("finished_at", serde_json::json!(now));
    store.update(failed).await?;
    Err(DomainError::Internal(format!("the job could not be queued: {reason}")))
}

/// A job of `kind` that `visible` lets the caller see, with a page of its report.
pub(crate) async fn job_view(
    store: &dyn Store,
    kind: JobKind,
    job_id: JobId,
    limit: u32,
    cursor: Option<Cursor>,
    visible: impl Fn(&Job) -> bool,
) -> DomainResult<JobView> {
    // The report is kept in chunks; a position is (chunk, row within it).
    let (mut chunk, mut offset) = match &cursor {
        None => (0, 0),
        Some(cursor) => parse_report_cursor(cursor, job_id).ok_or(DomainError::Store(StoreError::InvalidCursor))?,
    };
    let found = store
        .batch_get(&[keys::job(job_id), keys::job_report(job_id, chunk)])
        .await?;
    let mut found = found.into_iter();
    let item = found.next().flatten().ok_or(DomainError::NotFound)?;
    let job: Job = item.record()?;
    if job.kind != kind || !visible(&job) {
        return Err(DomainError::NotFound);
    }
    let (counts, chunks_done) = progress_of(&item);
    let mut report = found.next().flatten();
    let mut items = Vec::new();
    let mut next = None;
    while chunk < job.chunks {
        let Some(this) = report.take() else {
            // Not processed yet: the report goes on from here once it is.
            next = Some(report_cursor(job_id, chunk, offset));
            break;
        };
        let rows: Vec<RowReport> = serde_json::from_value(this.attribute("rows").cloned().unwrap_or_default())
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let taken: Vec<RowReport> = rows
            .iter()
            .skip(offset)
            .take(limit as usize - items.len())
            .cloned()
            .collect();
        let end = offset + taken.len();
        items.extend(taken);
        (chunk, offset) = if end < rows.len() { (chunk, end) } else { (chunk + 1, 0) };
        if items.len() == limit as usize {
            if chunk < job.chunks {
                next = Some(report_cursor(job_id, chunk, offset));
            }
            break;
        }
        if offset == 0 && chunk < job.chunks {
            report = store.get(&keys::job_report(job_id, chunk)).await?;
        }
    }
    Ok(JobView::of(&job, counts, chunks_done, items, next))
}

fn report_cursor(job: JobId, chunk: u32, offset: usize) -> Cursor {
    Cursor {
        index: Index::Table,
        pk: keys::job_partition(job),
        sk: format!("{}#{offset}", keys::job_report(job, chunk).sk),
        index_pk: None,
        index_sk: None,
    }
}

fn parse_report_cursor(cursor: &Cursor, job: JobId) -> Option<(u32, usize)> {
    if cursor.index != Index::Table || cursor.pk != keys::job_partition(job) {
        return None;
    }
    let rest = cursor.sk.strip_prefix(keys::JOB_REPORT_PREFIX)?;
    let (chunk, offset) = rest.split_once('#')?;
    Some((chunk.parse().ok()?, offset.parse().ok()?))
}

/// A chunk's report (with a bulk change's tallies for its digest) and the job's progress,
/// in one transaction conditional on the report being new: a chunk processed meanwhile
/// (a redelivered copy) keeps its report.
pub(crate) async fn record_chunk(
    store: &dyn Store,
    job: &Job,
    chunk: u32,
    reports: &[RowReport],
    digest: Option<serde_json::Value>,
    now: Timestamp,
) -> DomainResult<()> {
    let counts = JobCounts::of(reports);
    let progress = Update::new(keys::job(job.id))
        .add("created", counts.created as i64)
        .add("changed", counts.changed as i64)
        .add("unchanged", counts.unchanged as i64)
        .add("error", counts.error as i64)
        .add("chunks_done", 1)
        .set("finished_at", serde_json::json!(now));
    let mut report = report_item(job, chunk, reports)?;
    if let Some(digest) = digest {
        report = report.with("digest", digest);
    }
    let writes = vec![
        Write::Put {
            item: report,
            condition: Some(Condition::NotExists),
        },
        Write::Update(progress),
    ];
    match store.transact(writes).await {
        Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

/// A recorded job's counts and chunks done so far; `None` for a job no longer kept.
pub(crate) async fn job_progress(store: &dyn Store, job: JobId) -> DomainResult<Option<(JobCounts, u32)>> {
    Ok(store.get(&keys::job(job)).await?.as_ref().map(progress_of))
}
