//! Bulk jobs in one process (the local server, the specs): chunks go over a channel to a task
//! that runs them one after another, as the `sims-import` worker does on AWS.

use async_trait::async_trait;
use stratum_shared::ports::{ChunkOfRows, JobQueue, PortError};
use stratum_shared::sims::Sims;
use tokio::sync::mpsc;

/// Attempts at a chunk before it is given up (SQS's redrive count does this on AWS).
const ATTEMPTS: usize = 3;

pub struct InProcessJobs {
    sender: mpsc::UnboundedSender<ChunkOfRows>,
}

impl InProcessJobs {
    /// A queue and its receiving end, for [`run_jobs`].
    pub fn new() -> (Self, mpsc::UnboundedReceiver<ChunkOfRows>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self { sender }, receiver)
    }
}

#[async_trait]
impl JobQueue for InProcessJobs {
    async fn enqueue(&self, chunks: Vec<ChunkOfRows>) -> Result<(), PortError> {
        for chunk in chunks {
            self.sender
                .send(chunk)
                .map_err(|_| PortError::Unavailable("the job runner has stopped".to_owned()))?;
        }
        Ok(())
    }
}

/// Runs every chunk that arrives, until the queue is dropped; a chunk that fails every attempt
/// is given up (its rows reported `not_processed`), so its job still completes.
pub async fn run_jobs(sims: Sims, mut receiver: mpsc::UnboundedReceiver<ChunkOfRows>) {
    while let Some(chunk) = receiver.recv().await {
        let mut done = false;
        for attempt in 1..=ATTEMPTS {
            match stratum_shared::job_runner::run_chunk(&sims, chunk.clone()).await {
                Ok(()) => {
                    done = true;
                    break;
                }
                Err(error) => {
                    tracing::error!(job = %chunk.job_id, chunk = chunk.chunk, attempt, %error, "an import chunk failed")
                }
            }
        }
        if !done && let Err(error) = stratum_shared::job_runner::give_up_chunk(&sims, &chunk).await {
            tracing::error!(job = %chunk.job_id, chunk = chunk.chunk, %error, "giving an import chunk up failed");
        }
    }
}
