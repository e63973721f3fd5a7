//! A world to run identity scenarios in, over either entry point:
//!
//! - **local**: the real local server (`stratum::start`) on a loopback socket, embedded store,
//!   in-process relay and notifier, e-mail read back from the `.eml` files it writes;
//! - **lambda**: the identity function's router behind `lambda_http`'s adapter, fed API
//!   Gateway v2 events built from the recorded `events/apigw-v2-register.json`, on DynamoDB
//!   (moto); e-mail travels outbox → relay → SQS (moto) → notifier (fed SQS events built from
//!   `events/sqs-outbox.json`) → SES (moto), and is read back from moto's record of sent mail.
//!
//! Both run on a manual clock, so expiry and throttling are tested without sleeping.
//!
//! Each part owns one concern: `local` and `lambda` start the two entry points and carry a
//! request through them, `calls` is the request and reply the specs see, `people` signs
//! people up and in, `mail` reads back what was e-mailed and what waits in the outbox,
//! `imports` runs the import jobs queued, `queues` hands SQS messages to a worker the way an
//! event source does, and `iot` is the devices' side (IoT Core, the local MQTT broker).

mod calls;
mod imports;
mod iot;
mod lambda;
mod local;
mod mail;
mod people;
mod queues;

pub use calls::Reply;
pub use iot::CertificateState;
pub use mail::Mail;
pub use people::{PASSWORD, Person, address};

use chrono::{TimeZone, Utc};
use serde_json::Value;
use std::sync::Arc;
use stratum_shared::clock::ManualClock;
use stratum_shared::identity::Identity;
use stratum_shared::tenancy::Tenancy;

/// The browser origin the local server of the specs lets in.
pub const CORS_ORIGIN: &str = "https://app.stratum.test";

/// A running entry point: its clock and use cases, and the means to call and inspect it.
pub struct World {
    pub clock: Arc<ManualClock>,
    pub identity: Identity,
    /// The SIM use cases the entry point serves, for what an operator does out of band.
    pub sims: stratum_shared::sims::Sims,
    transport: Transport,
    source: String,
}

/// How requests reach the entry point, and what each entry point keeps to be inspected.
enum Transport {
    Local {
        base: String,
        client: reqwest::Client,
        server: Option<Box<stratum::Server>>,
        _dir: tempfile::TempDir,
    },
    Lambda {
        router: axum::Router,
        pipeline: Box<mail::MailPipeline>,
        imports: Box<imports::ImportPipeline>,
        /// moto's IoT Core, where the devices function makes things and certificates.
        iot: aws_sdk_iot::Client,
        device_policy: String,
    },
}

/// The manual clock every world starts on: 1 March 2026, 09:00 UTC.
fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()))
}

impl World {
    /// Which entry point this world runs, in words for the bench's tables.
    pub fn entry_point(&self) -> &'static str {
        match &self.transport {
            Transport::Local { .. } => "local server (relay every 200 ms, in-process notifier)",
            Transport::Lambda { .. } => "Lambda handlers (one relay round, the identity queue's notifier)",
        }
    }

    /// The address requests come from, as the entry point reports it.
    pub fn source_address(&self) -> &str {
        &self.source
    }

    /// Runs the scheduled housekeeping once, as its schedule does (on this world's store).
    pub async fn run_housekeeping(&self) -> Value {
        let services = stratum_tests::services_of(&self.identity);
        let telemetry = stratum_tests::telemetry_of(&self.sims);
        stratum_housekeeping::handle(&services, &telemetry, Value::Null)
            .await
            .expect("housekeeping runs")
    }

    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use stratum_shared::ports::Clock;
        self.clock.now()
    }

    /// The tenancy use cases on this world's store.
    pub fn tenancy(&self) -> Tenancy {
        stratum_tests::tenancy_of(&self.identity)
    }

    pub async fn stop(mut self) {
        if let Transport::Local { server, .. } = &mut self.transport {
            server.take().unwrap().stop().await.unwrap();
        }
    }
}

/// Runs every future concurrently on this task and collects their outputs in order, so racing
/// requests really are in flight together.
pub async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(|o| o.expect("completed")).collect()
}
