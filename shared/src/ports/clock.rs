//! Time as a port: the domain never calls `Utc::now()` itself.

use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}
