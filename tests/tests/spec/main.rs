//! End-to-end specs: one test binary, so the crates link once.

mod identity;
mod lambda_events;
mod openapi;
mod outbox;
mod store_conformance;
