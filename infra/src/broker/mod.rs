//! The local server's MQTT broker (MQTT 3.1.1, what devices speak to IoT Core): a device
//! signs in with the login its credentials gave (username and client id: its id; the password
//! is checked against the stored digest), may publish only to `devices/{its id}/telemetry`
//! and subscribe only to `devices/{its id}/commands` — the confinement IoT Core's policy
//! gives on AWS. Its messages go through the same ingest use case as on AWS; commands come
//! from the device gateway's bus.
//!
//! Why not rumqttd: it authenticates a connection but has no per-topic authorisation, and the
//! messages it hands on do not say which client published them, so a device could publish
//! under another device's topic unseen. The packets are rumqttc's codec; the rules are here.

mod connection;
mod packets;

use connection::{Connections, Online, Pending};

use crate::local_gateway::LocalGateway;
use std::sync::Arc;
use stratum_shared::ports::{Secrets, Store};
use stratum_shared::telemetry::{Envelope, Judgement, Outcome, Telemetry};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

/// Messages one ingest batch takes at most: a commit's fsync is shared by them all.
const MAX_BATCH: usize = 2_000;
/// Messages waiting for ingest at most (each up to a packet's size): connections wait beyond.
const MAX_QUEUED: usize = 2_000;
/// Stored messages waiting to be judged against alert rules at most: past it a message is not
/// judged (its device's next message judges again), so alerts never hold up acknowledgements.
const MAX_AWAITING_JUDGEMENT: usize = 10_000;

/// What the broker needs: the store (logins), the secrets port (digests), ingest, and the
/// gateway whose bus carries commands.
pub struct Broker {
    pub store: Arc<dyn Store>,
    pub secrets: Arc<dyn Secrets>,
    pub telemetry: Telemetry,
    pub gateway: LocalGateway,
}

impl Broker {
    /// Serves devices on `listener` until the task is dropped.
    pub async fn serve(self, listener: TcpListener) {
        let (ingest, queue) = mpsc::channel(MAX_QUEUED);
        let (judge, judgements) = mpsc::channel(MAX_AWAITING_JUDGEMENT);
        tokio::spawn(judge_in_order(self.telemetry.clone(), judgements));
        tokio::spawn(ingest_in_batches(self.telemetry, queue, judge));
        Connections {
            store: self.store,
            secrets: self.secrets,
            gateway: self.gateway,
            ingest,
            online: Online::default(),
        }
        .serve(listener)
        .await
    }
}

/// Judges stored messages against alert rules, in the order they were stored.
async fn judge_in_order(telemetry: Telemetry, mut judgements: mpsc::Receiver<Judgement>) {
    while let Some(judgement) = judgements.recv().await {
        if let Err(reason) = telemetry.judge_stored(&judgement).await {
            tracing::warn!(%reason, "alerts not judged; the device's next message judges again");
        }
    }
}

/// Ingests what the connections queue, in batches of what has queued up meanwhile (group
/// commit: the embedded store syncs to disk a few times a batch, not twice a message). Each
/// message is acknowledged once stored; judging it against alert rules comes after, on its
/// own task.
async fn ingest_in_batches(telemetry: Telemetry, mut queue: mpsc::Receiver<Pending>, judge: mpsc::Sender<Judgement>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        let (envelopes, replies): (Vec<Envelope>, Vec<oneshot::Sender<bool>>) = batch.into_iter().unzip();
        match telemetry.store_batch(&envelopes).await {
            Ok((outcomes, judgements)) => {
                for ((envelope, outcome), reply) in envelopes.iter().zip(outcomes).zip(replies) {
                    crate::outcomes::log_outcome("mqtt", envelope, &outcome);
                    let _ = reply.send(outcome != Outcome::Failed);
                }
                for (_, judgement) in judgements {
                    if judge.try_send(judgement).is_err() {
                        tracing::warn!("too many messages await judgement; one is not judged (its device's next is)");
                    }
                }
            }
            Err(error) => {
                tracing::error!(%error, messages = envelopes.len(), "telemetry could not be stored");
                for reply in replies {
                    let _ = reply.send(false);
                }
            }
        }
    }
}
