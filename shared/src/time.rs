//! Timestamps as the API shows them: RFC 3339, UTC, milliseconds (`2024-05-28T16:09:33.584Z`).
//! Stored the same way, so they also sort as text.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn new(at: DateTime<Utc>) -> Self {
        // Millisecond precision, so a value survives its own text form unchanged.
        let millis = at.timestamp_millis();
        Self(DateTime::from_timestamp_millis(millis).unwrap_or(at))
    }

    pub fn unix_seconds(&self) -> i64 {
        self.0.timestamp()
    }

    pub fn unix_millis(&self) -> i64 {
        self.0.timestamp_millis()
    }

    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        DateTime::from_timestamp_millis(millis).map(Self)
    }

    /// `duration` later, or the latest representable time (a duration from a setting can
    /// never make arithmetic panic).
    pub fn plus(&self, duration: chrono::Duration) -> Self {
        Self(self.0.checked_add_signed(duration).unwrap_or(DateTime::<Utc>::MAX_UTC))
    }

    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let mut schema = crate::schema::formatted(utoipa::openapi::schema::KnownFormat::DateTime);
        schema.examples = vec![serde_json::json!("2024-05-28T16:09:33.584Z")];
        schema.into()
    }
}

impl utoipa::ToSchema for Timestamp {}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|at| Timestamp::new(at.with_timezone(&Utc)))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_show_utc_with_milliseconds() {
        let at = Utc.timestamp_millis_opt(1_716_912_573_584).unwrap();
        let json = serde_json::to_string(&Timestamp::new(at)).unwrap();
        assert_eq!(json, "\"2024-05-28T16:09:33.584Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), Timestamp::new(at));
    }
}
