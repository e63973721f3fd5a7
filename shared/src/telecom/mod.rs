//! The identifiers of SIM cards and devices, parsed once: ICCID (ITU-T E.118), IMSI
//! (ITU-T E.212), MSISDN (E.164), mobile country and network codes, and IMEI (3GPP TS 23.003).
//! Each type can only hold a valid, normalised value; each parser names the field it reads
//! in its errors.

use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether `digits` (ASCII digits only) passes the Luhn check, its last digit the check digit.
fn luhn_valid(digits: &str) -> bool {
    luhn_sum(digits, false).is_multiple_of(10)
}

/// The Luhn check digit that completes `payload` (ASCII digits only).
fn luhn_check_digit(payload: &str) -> char {
    let sum = luhn_sum(payload, true);
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// The Luhn sum of `digits`, doubling every second digit from the right: from the last when
/// `double_last` (the check digit is still to come), from the one before it otherwise.
fn luhn_sum(digits: &str, double_last: bool) -> u32 {
    digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(position, byte)| {
            let digit = u32::from(byte - b'0');
            let doubled = (position % 2 == 0) == double_last;
            if doubled {
                let twice = digit * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                digit
            }
        })
        .sum()
}

/// `raw` without the spaces and dashes people type into long numbers.
fn without_separators(raw: &str) -> String {
    raw.trim().chars().filter(|c| *c != ' ' && *c != '-').collect()
}

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

macro_rules! digits_type {
    ($(#[$doc:meta])* $name:ident, $description:literal, $pattern:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                $name::parse(&text, stringify!($name)).map_err(|errors| errors.errors()[0].message.clone())
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::schema::pattern($pattern, $description).into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

digits_type!(
    /// A SIM's ICCID: 19 or 20 digits ending in a Luhn check digit. Spaces and dashes are
    /// dropped, and so is the trailing `F` some SIM readers print (the filler of a 19-digit
    /// ICCID's last byte).
    Iccid,
    "19 or 20 digits, the last a Luhn check digit; spaces, dashes and a trailing F are ignored",
    r"^\s*[0-9][0-9 \-]{17,}[0-9][fF]?\s*$"
);
digits_type!(
    /// A subscriber's IMSI: 6 to 15 digits (MCC, MNC, MSIN).
    Imsi,
    "6 to 15 digits",
    r"^\s*[0-9]{6,15}\s*$"
);
digits_type!(
    /// An MSISDN in E.164: `+` and 8 to 15 digits, the first not 0; spaces and dashes are
    /// dropped, and a leading `00` is read as `+`.
    Msisdn,
    "E.164: + and 8 to 15 digits (spaces, dashes and a leading 00 accepted)",
    r"^\s*(\+|00)[1-9][0-9 \-]{6,}[0-9]\s*$"
);
digits_type!(
    /// A mobile country code: 3 digits.
    Mcc,
    "3 digits",
    r"^\s*[0-9]{3}\s*$"
);
digits_type!(
    /// A mobile network code: 2 or 3 digits (leading zeros count: `01` and `001` differ).
    Mnc,
    "2 or 3 digits",
    r"^\s*[0-9]{2,3}\s*$"
);
digits_type!(
    /// A device's IMEI: 15 digits ending in a Luhn check digit. The 14 digits without it are
    /// accepted too, and the check digit completed.
    Imei,
    "15 digits with a Luhn check digit, or the 14 without it",
    r"^\s*[0-9][0-9 \-]{12,}[0-9]\s*$"
);

impl Iccid {
    pub fn parse(raw: &str, field: &str) -> Result<Self, ValidationErrors> {
        let mut digits = without_separators(raw);
        if digits.ends_with(['F', 'f']) {
            digits.pop();
        }
        if !all_digits(&digits) || !(19..=20).contains(&digits.len()) {
            return Err(ValidationErrors::single(
                field,
                "invalid_iccid",
                "an ICCID has 19 or 20 digits",
            ));
        }
        if !luhn_valid(&digits) {
            return Err(ValidationErrors::single(
                field,
                "invalid_check_digit",
                "this ICCID's last digit does not match the others (Luhn); check it for a typo",
            ));
        }
        Ok(Self(digits))
    }
}

impl Imsi {
    pub fn parse(raw: &str, field: &str) -> Result<Self, ValidationErrors> {
        let digits = raw.trim();
        if !all_digits(digits) || !(6..=15).contains(&digits.len()) {
            return Err(ValidationErrors::single(
                field,
                "invalid_imsi",
                "an IMSI has 6 to 15 digits",
            ));
        }
        Ok(Self(digits.to_owned()))
    }
}

impl Msisdn {
    pub fn parse(raw: &str, field: &str) -> Result<Self, ValidationErrors> {
        let text = without_separators(raw);
        let number = text.strip_prefix('+').or_else(|| text.strip_prefix("00"));
        match number {
            Some(number) if all_digits(number) && (8..=15).contains(&number.len()) && !number.starts_with('0') => {
                Ok(Self(format!("+{number}")))
            }
            _ => Err(ValidationErrors::single(
                field,
                "invalid_msisdn",
                "an E.164 number: + and 8 to 15 digits, like +971501234567",
            )),
        }
    }
}

impl Mcc {
    pub fn parse(raw: &str, field: &str) -> Result<Self, ValidationErrors> {
        let digits = raw.trim();
        if !all_digits(digits) || digits.len() != 3 {
            return Err(ValidationErrors::single(
                field,
                "invalid_mcc",
                "a mobile country code has 3 digits",
            ));
        }
        Ok(Self(digits.to_owned()))
    }
}

impl Mnc {
    pub fn parse(raw: &str, field: &str) -> Result<Self, ValidationErrors> {
        let digits = raw.trim();
        if !all_digits(digits) || !(2..=3).contains(&digits.len()) {
            return Err(ValidationErrors::single(
                field,
                "invalid_mnc",
                "a mobile network code has 2 or 3 digits",
            ));
        }
        Ok(Self(digits.to_owned()))
    }
}

impl Imei {
    pub fn parse(raw: &str, field: &str) -> Result<Self, ValidationErrors> {
        let digits = without_separators(raw);
        if !all_digits(&digits) || !(14..=15).contains(&digits.len()) {
            return Err(ValidationErrors::single(field, "invalid_imei", "an IMEI has 15 digits"));
        }
        if digits.len() == 14 {
            let check = luhn_check_digit(&digits);
            return Ok(Self(format!("{digits}{check}")));
        }
        if !luhn_valid(&digits) {
            return Err(ValidationErrors::single(
                field,
                "invalid_check_digit",
                "this IMEI's last digit does not match the others (Luhn); check it for a typo",
            ));
        }
        Ok(Self(digits))
    }
}

/// A change of state an owner asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SimAction {
    Activate,
    Suspend,
    Terminate,
}

impl SimAction {
    pub fn as_str(self) -> &'static str {
        match self {
            SimAction::Activate => "activate",
            SimAction::Suspend => "suspend",
            SimAction::Terminate => "terminate",
        }
    }

    pub fn parse(text: &str) -> Option<SimAction> {
        [SimAction::Activate, SimAction::Suspend, SimAction::Terminate]
            .into_iter()
            .find(|action| action.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SimStatus {
    Inventory,
    ActivationPending,
    Active,
    SuspensionPending,
    Suspended,
    TerminationPending,
    Terminated,
}

impl SimStatus {
    pub const ALL: [SimStatus; 7] = [
        SimStatus::Inventory,
        SimStatus::ActivationPending,
        SimStatus::Active,
        SimStatus::SuspensionPending,
        SimStatus::Suspended,
        SimStatus::TerminationPending,
        SimStatus::Terminated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SimStatus::Inventory => "inventory",
            SimStatus::ActivationPending => "activation_pending",
            SimStatus::Active => "active",
            SimStatus::SuspensionPending => "suspension_pending",
            SimStatus::Suspended => "suspended",
            SimStatus::TerminationPending => "termination_pending",
            SimStatus::Terminated => "terminated",
        }
    }

    pub fn parse(text: &str) -> Option<SimStatus> {
        SimStatus::ALL.into_iter().find(|status| status.as_str() == text)
    }

    pub fn is_pending(self) -> bool {
        matches!(
            self,
            SimStatus::ActivationPending | SimStatus::SuspensionPending | SimStatus::TerminationPending
        )
    }
}

#[cfg(test)]
mod tests;
