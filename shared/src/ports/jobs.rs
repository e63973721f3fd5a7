//! The job queue port: where chunks of a job go to be processed (SQS and the `sims-import`
//! worker on AWS, a task in the local server).

use super::PortError;
use crate::ids::JobId;
use crate::rows::RawRow;
use crate::telecom::SimAction;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

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
    async fn enqueue(&self, chunks: Vec<ChunkOfRows>) -> Result<(), PortError>;
}
