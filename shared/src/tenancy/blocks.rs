//! A person's block on an organisation they left through the notice's link (issue 21, item 1):
//! a root and its companies can never add them again.

use crate::error::DomainError;
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::store::{Condition, Item, Write};
use crate::time::Timestamp;
use serde_json::json;

/// The write that blocks `root` (and its companies) from adding `user` again.
pub(super) fn block(user: UserId, root: OrganisationId, now: Timestamp) -> Write {
    Write::Put {
        item: Item::new(keys::blocked_organisation(user, root)).with("blocked_at", json!(now)),
        condition: None,
    }
}

/// The write that checks `root` may add `user` (they have not blocked it), for the add's
/// transaction.
pub(super) fn not_blocked(user: UserId, root: OrganisationId) -> Write {
    Write::Check {
        key: keys::blocked_organisation(user, root),
        condition: Condition::NotExists,
    }
}

/// The answer to adding someone who blocked the organisation.
pub(super) fn blocked() -> DomainError {
    DomainError::conflict(
        "blocked_by_member",
        "this person left the organisation and blocked it; it cannot add them again",
    )
}
