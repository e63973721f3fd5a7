//! Stratum's domain crate: the types, invariants and use cases every function shares, and the
//! ports (traits) that adapters in `infra` implement. Nothing here performs I/O.
//!
//! - [`store`]: the single-table store port — items, conditions, queries, transactions — and
//!   the semantics both adapters (DynamoDB, embedded) must share.
//! - [`keys`]: the one place that composes partition, sort and index key strings.
//! - [`identity`]: users, registration, sessions, password reset, suspension (SPEC §4).
//! - [`tenancy`]: organisations, companies, memberships, roles and the permission table.
//! - [`audit`]: the audit trail every change writes in its own transaction.
//! - [`outbox`] and [`mail`]: messages committed with their cause, relayed, delivered once.
//! - [`unit_of_work`]: a change's writes, audit events and outbox messages as one
//!   transaction, each failed condition mapped back to what it means.
//! - [`limits`]: budgets per actor and window (invitations sent, mails received, sign-ups).
//! - [`clock`], [`ids`], [`time`]: time as a port, typed ids, API timestamps.
//! - [`validation`] and [`error`]: per-field errors and the domain's one error type.

pub mod accounts;
pub mod alerts;
pub mod audit;
pub(crate) mod catalogue;
pub mod clock;
pub mod devices;
pub mod error;
pub mod identity;
pub mod ids;
pub mod invitations;
pub mod job_runner;
pub mod jobs;
pub mod keys;
pub mod limits;
pub mod mail;
pub mod notices;
pub mod outbox;
pub mod placement;
pub mod ports;
pub mod recipients;
pub mod rows;
pub mod schema;
pub mod settings;
pub mod sims;
pub mod store;
pub mod telecom;
pub mod telemetry;
pub mod tenancy;
pub mod time;
pub mod unit_of_work;
pub mod validation;
