//! Stratum's domain crate: the types, invariants and use cases every function shares, and the
//! ports (traits) that adapters in `infra` implement. Nothing here performs I/O.
//!
//! - [`store`]: the single-table store port — items, conditions, queries, transactions — and
//!   the semantics both adapters (DynamoDB, embedded) must share.
//! - [`keys`]: the one place that composes partition, sort and index key strings.
//! - [`clock`]: time as a port, so expiry is testable without sleeping.
//! - [`validation`]: per-field errors that parsers collect and the HTTP layer renders.

pub mod clock;
pub mod keys;
pub mod store;
pub mod validation;
