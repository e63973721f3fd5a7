//! What became of a device's message, logged alike by the local broker and the telemetry
//! Lambda: a refusal with the device, the client that sent it and why; a stored message whose
//! device reported another IMEI than its SIM's lock, or whose alerts were not judged.

use stratum_shared::telemetry::{Envelope, Outcome};

/// Logs `outcome` of `envelope`, received as `delivery` (an SQS message id, or `mqtt`).
pub fn log_outcome(delivery: &str, envelope: &Envelope, outcome: &Outcome) {
    match outcome {
        Outcome::Stored {
            sim_mismatch, unjudged, ..
        } => {
            if *sim_mismatch {
                tracing::warn!(delivery, device = %envelope.device_id, "a device reported an IMEI other than its own");
            }
            if let Some(reason) = unjudged {
                tracing::warn!(delivery, device = %envelope.device_id, %reason, "alerts not judged; the device's next message judges again");
            }
        }
        Outcome::Refused(refusal) => {
            tracing::warn!(delivery, device = %envelope.device_id, client = %envelope.client_id, ?refusal, "a telemetry message was refused");
        }
        Outcome::Repeated | Outcome::Failed => {}
    }
}
