//! Adapters and plumbing around the domain crate.
//!
//! - [`store`]: the DynamoDB (`dynamodb` feature) and embedded SQLite (`sqlite` feature)
//!   adapters of the store port. Features keep each Lambda binary linking only what it uses.
//! - [`http`]: the route table every function builds its router from, typed JSON bodies,
//!   problem+json errors, request ids and request logs.
//! - [`jobs`]: bulk jobs run in-process (the local server, the specs).
//! - [`logging`]: structured JSON logs.
//! - [`aws`]: the SDK configuration the functions share.

#[cfg(any(feature = "dynamodb", feature = "sqs", feature = "ses", feature = "iot"))]
pub mod aws;
#[cfg(feature = "mqtt")]
pub mod broker;
pub mod config;
#[cfg(feature = "crypto")]
pub mod crypto;
pub mod env;
pub mod http;
#[cfg(feature = "iot")]
pub mod iot;
pub mod jobs;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod local_gateway;
pub mod logging;
pub mod mail;
pub mod outcomes;
#[cfg(feature = "sqs")]
pub mod queue;
#[cfg(feature = "crypto")]
pub mod sealed_mail;
pub mod store;
