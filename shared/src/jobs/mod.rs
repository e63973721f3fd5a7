//! Jobs (SPEC §6): a large import or bulk change runs as a job of chunks handed to a queue —
//! SQS and the `sims-import` worker on AWS, a task in the local process — each chunk processed
//! once, its per-row report and the job's counts written in one transaction, so a redelivered
//! chunk changes nothing. Jobs and their reports expire after [`JOB_RETENTION_DAYS`]. What a
//! chunk's rows mean is the use case's (SIM import, bulk change, device import); the job, its
//! chunks, its progress and its report are the same for all of them.

mod progress;

pub(crate) use progress::{job_progress, job_view, record_chunk, record_done, start_queued};

use crate::audit::Actor;
use crate::ids::{JobId, OrganisationId};
use crate::keys;
use crate::ports::ChunkOfRows;
use crate::rows::{RawRow, RowOutcome, RowReport};
use crate::store::{Cursor, Item};
use crate::telecom::SimAction;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// Rows answered synchronously; a larger file is a job.
pub const MAX_SYNC_ROWS: usize = 1_000;

/// Rows per queued chunk at most (fewer when their JSON passes [`MAX_CHUNK_BYTES`]).
pub const ROWS_PER_CHUNK: usize = 1_000;

/// A row's JSON at most; a longer one is reported `invalid_row` and not queued.
const MAX_ROW_BYTES: usize = 4_096;

/// A queued chunk's rows' JSON at most: ×6 for non-ASCII text escaped on the queue stays under
/// SQS's 256 KiB message limit.
const MAX_CHUNK_BYTES: usize = 40_000;

/// Either answer of an import: a report at once, or a queued job.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportAnswer {
    /// Done, with the whole report (`state: completed`).
    Done(JobView),
    /// Queued as a job; its report comes as its chunks are processed.
    Queued(JobView),
}

/// A job's rows in chunks to queue: at most `rows_per_chunk` rows and about
/// [`MAX_CHUNK_BYTES`] of JSON each; a row over [`MAX_ROW_BYTES`] is queued as `null`, which
/// reports `invalid_row` (or `invalid_iccid`) without carrying its bulk through the queue.
pub(crate) fn chunk_rows(
    job_id: JobId,
    rows: Vec<RawRow>,
    rows_per_chunk: usize,
    action: Option<SimAction>,
) -> Vec<ChunkOfRows> {
    let mut chunks: Vec<ChunkOfRows> = Vec::new();
    let mut bytes = 0;
    for (index, row) in rows.into_iter().enumerate() {
        let size = serde_json::to_string(&row).map_or(usize::MAX, |json| json.len());
        let row = if size > MAX_ROW_BYTES { Value::Null } else { row };
        let size = size.min(MAX_ROW_BYTES);
        let full = chunks
            .last()
            .is_none_or(|chunk| chunk.rows.len() >= rows_per_chunk || bytes + size > MAX_CHUNK_BYTES);
        if full {
            chunks.push(ChunkOfRows {
                job_id,
                chunk: chunks.len() as u32,
                first_row: index as u64 + 1,
                rows: Vec::new(),
                action,
            });
            bytes = 0;
        }
        bytes += size;
        chunks.last_mut().expect("pushed").rows.push(row);
    }
    chunks
}

pub(crate) fn retention_end(created_at: Timestamp) -> i64 {
    created_at.unix_seconds() + JOB_RETENTION_DAYS * 86_400
}

#[cfg(test)]
mod chunk_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chunks_hold_a_bounded_number_of_rows_and_bytes_and_number_rows_from_one() {
        let rows: Vec<RawRow> = (0..2_500)
            .map(|n| json!({ "iccid": n.to_string(), "labels": ["x".repeat(40)] }))
            .collect();
        let chunks = chunk_rows(JobId::generate(), rows, 1_000, None);
        assert!(chunks.iter().all(|chunk| chunk.rows.len() <= 1_000));
        assert!(
            chunks
                .iter()
                .all(|chunk| serde_json::to_string(&chunk.rows).unwrap().len() <= MAX_CHUNK_BYTES + 1_000)
        );
        assert_eq!(chunks.iter().map(|chunk| chunk.rows.len()).sum::<usize>(), 2_500);
        for pair in chunks.windows(2) {
            assert_eq!(pair[1].first_row, pair[0].first_row + pair[0].rows.len() as u64);
        }
        assert_eq!(chunks[0].first_row, 1);
    }
}
