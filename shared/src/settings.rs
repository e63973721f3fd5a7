//! The platform's settings as values: who may create organisations, how long invitations
//! last, the hourly notice budget and the rule caps, each with its default and bounds. A leaf:
//! the budgets and caps below the use cases read them; reading and writing them is
//! [`crate::tenancy`]'s.

use serde::{Deserialize, Serialize};

/// Notice e-mails one root organisation (with its companies) sends per hour unless the
/// platform says otherwise: a busy fleet's alerts and rules, far more than any person reads in
/// an hour, and well inside SES's sending quota for a handful of such tenants at once.
pub const DEFAULT_NOTICE_EMAILS_PER_HOUR: u32 = 1_000;

/// Who may create shared organisations (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationCreation {
    /// Any person (seed 004).
    #[default]
    Anyone,
    /// Platform admins only, naming the first owner (seed 003).
    PlatformAdmins,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlatformSettings {
    #[serde(default)]
    pub organisation_creation: OrganisationCreation,
    /// Days an invitation stays valid (`invitations.expiry_days`), 1 to 365.
    #[serde(
        default = "default_invitation_expiry_days",
        deserialize_with = "crate::schema::whole_number"
    )]
    #[schema(minimum = 1, maximum = 365)]
    pub invitation_expiry_days: u32,
    /// Notice e-mails (rules, alerts) one root organisation with its companies sends per hour;
    /// past it, each person gets one summary of the rest when the hour is over. 0 to 1,000,000.
    #[serde(
        default = "default_notice_emails_per_hour",
        deserialize_with = "crate::schema::whole_number"
    )]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub notice_emails_per_hour: u32,
    /// Alert rules one root organisation holds at most (1 to 1,000): every message of its
    /// devices is judged against them.
    #[serde(
        default = "default_alert_rules_per_organisation",
        deserialize_with = "crate::schema::whole_number"
    )]
    #[schema(minimum = 1, maximum = 1000)]
    pub alert_rules_per_organisation: u32,
    /// SIM rules one organisation (a root, or each company) holds at most (1 to 1,000): every
    /// change of one of its SIMs is checked against its root's and its company's.
    #[serde(
        default = "default_sim_rules_per_organisation",
        deserialize_with = "crate::schema::whole_number"
    )]
    #[schema(minimum = 1, maximum = 1000)]
    pub sim_rules_per_organisation: u32,
}

/// The longest an invitation may stay valid.
pub const MAX_INVITATION_EXPIRY_DAYS: u32 = 365;

impl PlatformSettings {
    /// Settings as sent, held to their bounds.
    pub fn parse(self) -> Result<Self, crate::validation::ValidationErrors> {
        let mut errors = crate::validation::Collector::new();
        for (field, value, bounds, what) in [
            (
                "invitation_expiry_days",
                self.invitation_expiry_days,
                1..=MAX_INVITATION_EXPIRY_DAYS,
                "a whole number of days from 1 to 365",
            ),
            (
                "notice_emails_per_hour",
                self.notice_emails_per_hour,
                0..=1_000_000,
                "a whole number from 0 to 1,000,000",
            ),
            (
                "alert_rules_per_organisation",
                self.alert_rules_per_organisation,
                1..=MAX_RULES_PER_ORGANISATION,
                "a whole number from 1 to 1,000",
            ),
            (
                "sim_rules_per_organisation",
                self.sim_rules_per_organisation,
                1..=MAX_RULES_PER_ORGANISATION,
                "a whole number from 1 to 1,000",
            ),
        ] {
            if !bounds.contains(&value) {
                errors.push(field, "out_of_range", what);
            }
        }
        errors.finish(|| self)
    }
}

/// The most rules of a kind a platform may let one organisation hold.
pub const MAX_RULES_PER_ORGANISATION: u32 = 1_000;

fn default_invitation_expiry_days() -> u32 {
    14
}

fn default_notice_emails_per_hour() -> u32 {
    DEFAULT_NOTICE_EMAILS_PER_HOUR
}

/// Alert rules per root by default: a rule per port of ten models, or of ten environments,
/// with room to spare; each is read with every judged message (one query, from a cache).
fn default_alert_rules_per_organisation() -> u32 {
    100
}

/// SIM rules per organisation by default: a few thresholds per plan and a status watch, for
/// a root and for each of its companies.
fn default_sim_rules_per_organisation() -> u32 {
    50
}

impl Default for PlatformSettings {
    fn default() -> Self {
        Self {
            organisation_creation: OrganisationCreation::default(),
            invitation_expiry_days: default_invitation_expiry_days(),
            notice_emails_per_hour: default_notice_emails_per_hour(),
            alert_rules_per_organisation: default_alert_rules_per_organisation(),
            sim_rules_per_organisation: default_sim_rules_per_organisation(),
        }
    }
}
