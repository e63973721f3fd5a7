//! Stratum's domain crate: the types, invariants and use cases every function shares, and the
//! ports (traits) that adapters in `infra` implement. Nothing here performs I/O. Roughly from
//! the ground up; no module reaches one that reaches it back (`tests/tests/layers.rs` fails on
//! a loop of files or of modules):
//!
//! - Values: [`ids`], [`time`], [`accounts`] (e-mail, password, roles, kinds), [`telecom`]
//!   (ICCID, IMSI, MSISDN, IMEI, MCC, MNC, SIM actions), [`placement`] (with whom a record was
//!   written), [`schema`] and [`validation`] (per-field errors), [`error`] (the domain's one
//!   error type), [`settings`] (the platform's settings and their defaults).
//! - The store's vocabulary, [`store`] (items, keys, conditions, queries, writes), and [`keys`],
//!   the one place that composes partition, sort and index keys.
//! - [`ports`]: every trait an adapter implements (store, clock, secrets, queues, mailer, job
//!   queue, device gateway, operator connector), with the values that cross them; [`clock`]
//!   holds the clocks the domain and its tests use.
//! - Foundations every use case writes through: [`audit`], [`mail`] and [`outbox`] (messages
//!   committed with their cause, relayed, delivered once), [`unit_of_work`] (a change's writes,
//!   audit events and outbox messages as one transaction), [`limits`] (budgets per actor and
//!   window), [`notices`] (the hourly notice budget), [`rows`] (import files and row reports),
//!   [`jobs`] (a job's chunks, progress and report), [`recipients`].
//! - Use cases: [`identity`] (SPEC §4), [`tenancy`] (organisations, companies, members, the
//!   permission table), [`invitations`], [`sims`], [`alerts`] (rules, alert state, raising and
//!   clearing), [`devices`], [`telemetry`] (ingest, judging, the sweep) and [`job_runner`]
//!   (a queued chunk handed to its use case); `catalogue` is the shared code of the
//!   organisations' catalogue entries (contracts, plans, environments, markers, alert rules).

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod catalogue;
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
