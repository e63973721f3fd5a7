//! Bulk jobs (SPEC §6): a large import runs as a job of chunks handed to a queue — SQS and the
//! `sims-import` worker on AWS, a task in the local process — each chunk processed once,
//! its per-row report and the job's counts written in one transaction, so a redelivered
//! chunk changes nothing. Jobs and their reports expire after [`JOB_RETENTION_DAYS`].

use super::import::{RawRow, RowOutcome, RowReport};
use super::{SimAction, Sims, sim_scope};
use crate::audit::Actor;
use crate::audit::AuditEvent;
use crate::devices::register_rows;
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::{JobId, OrganisationId};
use crate::keys;
use crate::store::{Condition, Cursor, Index, Item, Store, StoreError, Update, Write};
use crate::tenancy::ManageSims;
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// How long a job and its report are kept (SPEC §6: at least 90 days).
pub const JOB_RETENTION_DAYS: i64 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Import,
    /// A state change of many SIMs (`POST …/sims/bulk`).
    Bulk,
    /// Devices pre-registered by IMEI (`POST /api/devices/imports`; the platform's).
    DeviceImport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Completed,
    Failed,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobCounts {
    pub created: u64,
    /// SIMs a bulk job changed (0 for imports).
    pub changed: u64,
    pub unchanged: u64,
    pub error: u64,
}

impl JobCounts {
    pub fn of(reports: &[RowReport]) -> JobCounts {
        let mut counts = JobCounts::default();
        for report in reports {
            match report.outcome {
                RowOutcome::Created => counts.created += 1,
                RowOutcome::Changed => counts.changed += 1,
                RowOutcome::Unchanged => counts.unchanged += 1,
                RowOutcome::Error => counts.error += 1,
            }
        }
        counts
    }
}

/// A job as stored. Only `queued` and `failed` are stored states: a job is running once a
/// chunk is done and completed once every chunk is, which the counts beside it say (so a
/// chunk's report and progress are one write, with no second write to finish the job).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    /// Who started it: the changes a bulk job makes are theirs.
    #[serde(default = "Actor::system")]
    pub actor: Actor,
    /// The organisation whose job it is; none for the platform's own (device imports).
    pub organisation_id: Option<OrganisationId>,
    pub company_id: Option<OrganisationId>,
    pub state: JobState,
    pub rows: u64,
    pub chunks: u32,
    pub created_at: Timestamp,
    /// When the last chunk so far was done: when the job finished, once it has.
    pub finished_at: Option<Timestamp>,
}

impl Job {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        id: JobId,
        kind: JobKind,
        actor: Actor,
        organisation_id: Option<OrganisationId>,
        company_id: Option<OrganisationId>,
        rows: u64,
        chunks: u32,
        now: Timestamp,
    ) -> Job {
        Job {
            id,
            kind,
            actor,
            organisation_id,
            company_id,
            state: JobState::Queued,
            rows,
            chunks,
            created_at: now,
            finished_at: None,
        }
    }

    /// The job's item with its progress: `counts` over `chunks_done` chunks.
    pub(crate) fn item(&self, counts: JobCounts, chunks_done: u32) -> Item {
        Item::from_record(keys::job(self.id), self)
            .with("created", counts.created)
            .with("changed", counts.changed)
            .with("unchanged", counts.unchanged)
            .with("error", counts.error)
            .with("chunks_done", chunks_done)
            .expiring_at(retention_end(self.created_at))
    }
}

/// A chunk's report, kept with the job.
pub(crate) fn report_item(job: &Job, chunk: u32, reports: &[RowReport]) -> DomainResult<Item> {
    let rows = serde_json::to_value(reports).map_err(|e| DomainError::Internal(e.to_string()))?;
    Ok(Item::new(keys::job_report(job.id, chunk))
        .with("rows", rows)
        .expiring_at(retention_end(job.created_at)))
}

/// A job as the API shows it, with one page of its per-row report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = Job)]
pub struct JobView {
    pub id: JobId,
    pub kind: JobKind,
    pub state: JobState,
    pub counts: JobCounts,
    /// Rows in the file.
    pub rows: u64,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// One page of the per-row report, in row order.
    pub items: Vec<RowReport>,
    /// Pass as `cursor` for the next page of the report; null on the last.
    pub next_cursor: Option<String>,
}

impl JobView {
    /// The view of `job` with `counts` after `chunks_done` chunks, and a page of its report.
    pub(crate) fn of(
        job: &Job,
        counts: JobCounts,
        chunks_done: u32,
        items: Vec<RowReport>,
        next: Option<Cursor>,
    ) -> Self {
        let state = match job.state {
            JobState::Failed => JobState::Failed,
            _ if chunks_done >= job.chunks => JobState::Completed,
            _ if chunks_done > 0 => JobState::Running,
            _ => JobState::Queued,
        };
        JobView {
            id: job.id,
            kind: job.kind,
            state,
            counts,
            rows: job.rows,
            created_at: job.created_at,
            finished_at: job.finished_at.filter(|_| state == JobState::Completed),
            items,
            next_cursor: next.map(|cursor| cursor.encode()),
        }
    }
}

/// One chunk of a job's rows, as queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkOfRows {
    pub job_id: JobId,
    pub chunk: u32,
    /// The file's row number of the first row (1 is the first row after the header).
    pub first_row: u64,
    pub rows: Vec<RawRow>,
    /// For a bulk job: the change to make to each SIM (the rows are ICCIDs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<SimAction>,
}

/// Where chunks of a job go to be processed: SQS on AWS, a local task in the local server.
#[async_trait]
pub trait JobQueue: Send + Sync {
    async fn enqueue(&self, chunks: Vec<ChunkOfRows>) -> Result<(), String>;
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

fn retention_end(created_at: Timestamp) -> i64 {
    created_at.unix_seconds() + JOB_RETENTION_DAYS * 86_400
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

impl Sims {
    /// Processes one queued chunk: its rows, then its report and the job's progress in one
    /// transaction, once (a redelivered chunk whose report exists changes nothing).
    pub async fn run_chunk(&self, chunk: ChunkOfRows) -> DomainResult<()> {
        let report_key = keys::job_report(chunk.job_id, chunk.chunk);
        let found = self.store.batch_get(&[keys::job(chunk.job_id), report_key]).await?;
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
                self.import_rows(organisation, job.company_id, Some(job.id), chunk.first_row, chunk.rows)
                    .await?
            }
            (JobKind::Bulk, Some(_), Some(action)) => {
                let (reports, tallies) = self.change_rows(&job, action, chunk.first_row, chunk.rows).await?;
                digest = Some(serde_json::to_value(tallies).map_err(|e| DomainError::Internal(e.to_string()))?);
                reports
            }
            (JobKind::DeviceImport, None, _) => {
                register_rows(
                    &*self.store,
                    &*self.clock,
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
        self.record_chunk(&job, chunk.chunk, &reports, digest).await?;
        if let (JobKind::Bulk, Some(root), Some(action)) = (job.kind, job.organisation_id, chunk.action) {
            self.finish_bulk(&job, root, action).await?;
        }
        Ok(())
    }

    /// Once every chunk of a bulk job is done, its digests go out (whoever sees it complete
    /// first; each digest once).
    async fn finish_bulk(&self, job: &Job, root: OrganisationId, action: SimAction) -> DomainResult<()> {
        let Some(item) = self.store.get(&keys::job(job.id)).await? else {
            return Ok(());
        };
        let (_, chunks_done) = progress_of(&item);
        if chunks_done >= job.chunks {
            self.send_digests(job.id, root, action).await?;
        }
        Ok(())
    }

    /// A chunk's report (with a bulk change's tallies for its digest) and the job's progress,
    /// in one transaction conditional on the report being new: a chunk processed meanwhile
    /// (a redelivered copy) keeps its report.
    async fn record_chunk(
        &self,
        job: &Job,
        chunk: u32,
        reports: &[RowReport],
        digest: Option<serde_json::Value>,
    ) -> DomainResult<()> {
        let counts = JobCounts::of(reports);
        let progress = Update::new(keys::job(job.id))
            .add("created", counts.created as i64)
            .add("changed", counts.changed as i64)
            .add("unchanged", counts.unchanged as i64)
            .add("error", counts.error as i64)
            .add("chunks_done", 1)
            .set("finished_at", serde_json::json!(self.now()));
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
        match self.store.transact(writes).await {
            Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// Gives a chunk up after its last attempt failed: every row is reported `not_processed`
    /// (with its progress, so the job still completes), unless a report exists already.
    pub async fn give_up_chunk(&self, chunk: &ChunkOfRows) -> DomainResult<()> {
        let Some(item) = self.store.get(&keys::job(chunk.job_id)).await? else {
            return Ok(());
        };
        let job: Job = item.record()?;
        let reports: Vec<RowReport> = (0..chunk.rows.len())
            .map(|offset| RowReport::error(chunk.first_row + offset as u64, None, None, "not_processed"))
            .collect();
        self.record_chunk(&job, chunk.chunk, &reports, None).await?;
        if let (JobKind::Bulk, Some(root), Some(action)) = (job.kind, job.organisation_id, chunk.action) {
            self.finish_bulk(&job, root, action).await?;
        }
        Ok(())
    }

    /// A job of the organisation, of `kind`, with a page of its report.
    pub async fn job(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        kind: JobKind,
        job_id: JobId,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<JobView> {
        let scope = sim_scope::<ManageSims>(&*self.store, principal, organisation_id).await?;
        job_view(&*self.store, kind, job_id, limit, cursor, |job| {
            job.organisation_id == Some(scope.root) && scope.company.is_none_or(|c| job.company_id == Some(c))
        })
        .await
    }
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
