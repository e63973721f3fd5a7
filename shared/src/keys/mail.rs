//! Keys of mail: the outbox lanes, parked and delivered messages, and notices held back past an
//! organisation's hourly budget.

use super::compose;
use crate::ids::{MessageId, OrganisationId, UserId};
use crate::mail::Lane;
use crate::store::{IndexKey, Key};

/// The outbox: one partition per lane, sorted by time-ordered message id.
pub fn outbox_partition(lane: Lane) -> &'static str {
    match lane {
        Lane::Identity => "OUTBOX",
        Lane::Notices => "OUTBOX_NOTICES",
    }
}

pub fn outbox_message(lane: Lane, message: MessageId) -> Key {
    Key::new(outbox_partition(lane), compose(&["MESSAGE", &message.to_string()]))
}

/// Messages the relay set aside because the queue kept refusing them (or they could not be
/// read), kept for operators under the outbox item's own sort key.
pub const PARKED_MESSAGES: &str = "OUTBOX_PARKED";

pub fn parked_message(outbox_sort_key: &str) -> Key {
    Key::new(PARKED_MESSAGES, outbox_sort_key)
}

/// Marks a message as delivered, so a redelivered copy is not sent twice.
pub fn delivery(message: MessageId) -> Key {
    Key::new(compose(&["DELIVERY", &message.to_string()]), "DELIVERY")
}

/// Index shards of the held notices due for their summary.
pub const HELD_SHARDS: u32 = 16;

/// A person's notices of one organisation held back in one hour (past its e-mail budget):
/// the entry housekeeping finds when the hour is over…
pub fn held_notices(root: OrganisationId, user: UserId, hour_start: i64) -> Key {
    Key::new(
        held_notices_partition(root, user),
        compose(&["HOUR", &hour_start.to_string()]),
    )
}

/// …and their count, an item of its own (outside the index, so counting moves nothing there).
pub fn held_notices_count(root: OrganisationId, user: UserId, hour_start: i64) -> Key {
    Key::new(
        held_notices_partition(root, user),
        compose(&["COUNT", &hour_start.to_string()]),
    )
}

fn held_notices_partition(root: OrganisationId, user: UserId) -> String {
    compose(&["HELD", &root.to_string(), &user.to_string()])
}

/// The index partition of one shard of held notices.
pub fn held_notices_shard(shard: u32) -> String {
    compose(&["NOTICES_HELD", &shard.to_string()])
}

/// GSI1 key of a person's held notices: when their summary is due, in a shard of the
/// organisation and person (written once per person, organisation and hour).
pub fn held_notices_due(root: OrganisationId, user: UserId, due_ms: i64) -> IndexKey {
    let ids = compose(&[&root.to_string(), &user.to_string()]);
    let shard = ids
        .bytes()
        .fold(0u32, |hash, byte| hash.wrapping_mul(31).wrapping_add(u32::from(byte)))
        % HELD_SHARDS;
    IndexKey::new(held_notices_shard(shard), format!("{due_ms:013}#{ids}"))
}
