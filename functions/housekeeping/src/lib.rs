//! Housekeeping, on a schedule (EventBridge every minute on AWS, a timer locally): devices
//! silent past their model's inactivity timeout raise `offline` (so within the timeout and a
//! minute), invitations past their expiry are marked `expired`, and notices an organisation
//! sent past its hourly e-mail budget are summed up to each person once their hour is over.
//! Acceptance checks expiry itself, so nothing depends on when that runs; it keeps lists and
//! previews tidy.

use stratum_shared::error::DomainResult;
use stratum_shared::invitations::Invitations;
use stratum_shared::telemetry::Telemetry;

/// Handles one scheduled event (its contents do not matter).
pub async fn handle(
    invitations: &Invitations,
    telemetry: &Telemetry,
    _scheduled: serde_json::Value,
) -> DomainResult<serde_json::Value> {
    // Each job on its own: one failing does not hold the other back.
    let expired = invitations.expire_overdue().await;
    let silent = telemetry.sweep_silent().await;
    let summaries = telemetry.send_held_notices().await;
    let (expired, silent, summaries) = (expired?, silent?, summaries?);
    if let Some(failure) = &silent.last_failure {
        tracing::warn!(failed = silent.failed, %failure, "silent devices not handled; the next sweep tries again");
    }
    tracing::info!(
        expired,
        offline = silent.raised,
        parked = silent.parked,
        summaries,
        "housekeeping done"
    );
    Ok(serde_json::json!({
        "expired_invitations": expired,
        "held_notice_summaries": summaries,
        "offline_alerts": silent.raised,
        "silent_devices_parked": silent.parked,
        "silent_devices_failed": silent.failed,
    }))
}
