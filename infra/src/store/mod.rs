//! Adapters of the store port (`stratum_shared::ports::Store`).

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "sqlite")]
pub mod sqlite;
