//! Adapters of the store port (`stratum_shared::store::Store`).

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "sqlite")]
pub mod sqlite;
