//! Typed ids: a user id cannot be passed where an organisation id is expected.

use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// Parses an id from a path or body; `field` names it in the error.
            pub fn parse(text: &str, field: &str) -> Result<Self, ValidationErrors> {
                Uuid::parse_str(text)
                    .map(Self)
                    .map_err(|_| ValidationErrors::single(field, "invalid_id", "must be a UUID"))
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::schema::uuid_input().into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A user, person or machine.
    UserId
);
id_type!(
    /// An organisation: personal, shared root, or company.
    OrganisationId
);
id_type!(
    /// A sign-in session: the family of refresh tokens rotated from one login.
    SessionId
);
id_type!(
    /// A message waiting in the outbox.
    MessageId
);
id_type!(
    /// An audit event; time-ordered, so the trail sorts by id.
    AuditEventId
);
id_type!(
    /// A machine's API key (its id, not its secret).
    ApiKeyId
);
id_type!(
    /// An invitation (its id, not its token).
    InvitationId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_only_uuids() {
        let id = UserId::generate();
        assert_eq!(UserId::parse(&id.to_string(), "id"), Ok(id));
        let error = UserId::parse("42", "user_id").unwrap_err();
        assert_eq!(error.errors()[0].field, "user_id");
    }
}
