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
id_type!(
    /// An operator contract of an organisation.
    ContractId
);
id_type!(
    /// A plan (allowances and price) of an organisation or company.
    PlanId
);
id_type!(
    /// A bulk job: a SIM import or a bulk state change.
    JobId
);
id_type!(
    /// A SIM rule of an organisation or company.
    SimRuleId
);
id_type!(
    /// A device model, defined by the platform.
    DeviceModelId
);
id_type!(
    /// A device, pre-registered by the platform.
    DeviceId
);
id_type!(
    /// A command sent to a device.
    CommandId
);
id_type!(
    /// An entry of a device's maintenance history.
    MaintenanceId
);
id_type!(
    /// An environment of an organisation (a facility, a department, a mobile fleet).
    EnvironmentId
);
id_type!(
    /// A map marker of an organisation.
    MarkerId
);
id_type!(
    /// An alert rule of an organisation.
    AlertRuleId
);
id_type!(
    /// An alert raised for a device.
    AlertId
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_parse_only_uuids() {
        let id = UserId::generate();
        assert_eq!(UserId::parse(&id.to_string(), "id"), Ok(id));
        let error = UserId::parse("42", "user_id").unwrap_err();
        assert_eq!(error.errors()[0].field, "user_id");
    }

    /// The one error a malformed id gets: `invalid_id`, on the field it came in.
    fn refused_as_invalid_id(result: Result<OrganisationId, ValidationErrors>, field: &str) -> bool {
        result.is_err_and(|errors| {
            let errors = errors.errors();
            errors.len() == 1 && errors[0].field == field && errors[0].code == "invalid_id"
        })
    }

    /// A character that is neither a hex digit nor a hyphen, to spoil a UUID with.
    fn non_hex() -> impl Strategy<Value = char> {
        any::<char>().prop_filter("neither hex digit nor hyphen", |c| !c.is_ascii_hexdigit() && *c != '-')
    }

    // Every id type comes from the same `id_type!`, so one type's properties are all of theirs.
    proptest! {
        #[test]
        fn any_uuid_text_round_trips_through_display_and_parse(bits in any::<u128>()) {
            let text = Uuid::from_u128(bits).hyphenated().to_string();
            let id = OrganisationId::parse(&text, "id").unwrap();
            prop_assert_eq!(id.to_string(), text.clone());
            prop_assert_eq!(OrganisationId::parse(&text.to_uppercase(), "id"), Ok(id), "case does not matter");
            prop_assert_eq!(UserId::parse(&text, "id").map(|user| user.to_string()), Ok(text));
        }

        #[test]
        fn a_uuid_with_one_character_spoilt_is_refused(
            bits in any::<u128>(),
            at in 0..36usize,
            spoiler in non_hex(),
        ) {
            let mut text: Vec<char> = Uuid::from_u128(bits).hyphenated().to_string().chars().collect();
            text[at] = spoiler;
            let text: String = text.into_iter().collect();
            prop_assert!(refused_as_invalid_id(OrganisationId::parse(&text, "organisation_id"), "organisation_id"), "{text:?}");
        }

        #[test]
        fn a_uuid_one_character_short_or_long_is_refused(
            bits in any::<u128>(),
            at in 0..36usize,
            extra in "[0-9a-f-]",
        ) {
            let text = Uuid::from_u128(bits).hyphenated().to_string();
            let short = format!("{}{}", &text[..at], &text[at + 1..]);
            let long = format!("{}{extra}{}", &text[..at], &text[at..]);
            for spoilt in [short, long] {
                prop_assert!(refused_as_invalid_id(OrganisationId::parse(&spoilt, "id"), "id"), "{spoilt:?}");
            }
        }

        /// A UUID is written in 32 (bare), 36 (hyphenated), 38 (braced) or 45 (URN) characters;
        /// text of any other length is no id, whatever it holds.
        #[test]
        fn text_of_no_uuid_length_is_refused(text in "\\PC{0,60}|.{0,60}|[0-9a-fA-F-]{0,60}") {
            prop_assume!(![32, 36, 38, 45].contains(&text.len()));
            prop_assert!(refused_as_invalid_id(OrganisationId::parse(&text, "id"), "id"), "{text:?}");
        }
    }
}
