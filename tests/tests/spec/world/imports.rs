//! Import jobs: on the Lambda entry point the chunks the sims function queued on SQS, handed to
//! the `sims-import` worker; locally a task of the server runs them on its own. Either way a
//! spec reads the job until it has completed.

use super::{Reply, Transport, World, queues};
use std::time::Duration;
use stratum_infra::queue::SqsQueue;

/// The AWS path of an import job: the chunks the sims function queued on SQS, handed to the
/// `sims-import` worker the way the Lambda event source does.
pub(super) struct ImportPipeline {
    pub(super) queue: SqsQueue,
    pub(super) queue_url: String,
    pub(super) sims: stratum_shared::sims::Sims,
}

impl ImportPipeline {
    async fn run_queued(&self) {
        queues::hand_over(&self.queue, &self.queue_url, "the import worker", async |records| {
            stratum_sims_import::handle(&self.sims, stratum_tests::sqs_event(records)).await
        })
        .await;
    }
}

impl World {
    /// Runs the import chunks queued so far: through SQS and the worker on the Lambda entry
    /// point; locally a task of the server runs them on its own.
    pub async fn run_import_jobs(&self) {
        if let Transport::Lambda { imports, .. } = &self.transport {
            imports.run_queued().await;
        }
    }

    /// Runs the queued chunks and reads the job at `location` (with `query`) until it has
    /// completed, within `patience`.
    pub async fn finished_job(&self, location: &str, query: &str, token: Option<&str>, patience: Duration) -> Reply {
        self.run_import_jobs().await;
        let deadline = std::time::Instant::now() + patience;
        loop {
            let read = self.call("GET", &format!("{location}{query}"), token, None).await;
            if read.body["state"] == "completed" {
                return read;
            }
            assert!(std::time::Instant::now() < deadline, "the job finishes: {read:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
