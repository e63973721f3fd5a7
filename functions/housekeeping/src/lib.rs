//! Housekeeping, on a schedule (EventBridge on AWS, a timer locally): invitations past their
//! expiry are marked `expired`. Acceptance checks expiry itself, so nothing depends on when
//! this runs; it keeps lists and previews tidy.

use stratum_shared::error::DomainResult;
use stratum_shared::invitations::Invitations;

/// Handles one scheduled event (its contents do not matter).
pub async fn handle(invitations: &Invitations, _scheduled: serde_json::Value) -> DomainResult<serde_json::Value> {
    let expired = invitations.expire_overdue().await?;
    tracing::info!(expired, "housekeeping done");
    Ok(serde_json::json!({ "expired_invitations": expired }))
}
