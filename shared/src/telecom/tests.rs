//! The telecom numbers: check digits, normal forms and what each parser refuses.

use super::*;
use proptest::prelude::*;

fn code(result: Result<impl fmt::Debug, ValidationErrors>) -> &'static str {
    result.expect_err("refused").errors()[0].code
}

#[test]
fn iccids_are_normalised_and_checked() {
    // An ICCID of E.118's shape (89 telecom, 44 country, issuer 10…), with its Luhn digit.
    let iccid = Iccid::parse("8944 1000 0000 0000 000", "iccid").unwrap();
    assert_eq!(iccid.as_str(), "8944100000000000000");
    assert_eq!(
        Iccid::parse("8944100000000000000F", "iccid").unwrap(),
        iccid,
        "a trailing F"
    );
    assert_eq!(
        Iccid::parse("8944-1000-0000-0000-000", "iccid").unwrap(),
        iccid,
        "dashes"
    );
    assert_eq!(
        code(Iccid::parse("8944100000000000001", "iccid")),
        "invalid_check_digit"
    );
    assert_eq!(
        code(Iccid::parse("894410000000000001", "iccid")),
        "invalid_iccid",
        "18 digits"
    );
    assert_eq!(code(Iccid::parse("89441000000000000012F3", "iccid")), "invalid_iccid");
    assert_eq!(code(Iccid::parse("", "iccid")), "invalid_iccid");
}

#[test]
fn imeis_are_checked_and_fourteen_digits_completed() {
    // 49015420323751 is the usual IMEI example; its check digit is 8.
    assert_eq!(
        Imei::parse("49-015420-323751", "imei").unwrap().as_str(),
        "490154203237518"
    );
    assert_eq!(
        Imei::parse("490154203237518", "imei").unwrap().as_str(),
        "490154203237518"
    );
    assert_eq!(code(Imei::parse("490154203237519", "imei")), "invalid_check_digit");
    assert_eq!(code(Imei::parse("4901542032375", "imei")), "invalid_imei");
}

#[test]
fn msisdns_are_e164() {
    assert_eq!(
        Msisdn::parse("+971 50 123 4567", "msisdn").unwrap().as_str(),
        "+971501234567"
    );
    assert_eq!(
        Msisdn::parse("00971501234567", "msisdn").unwrap().as_str(),
        "+971501234567"
    );
    assert_eq!(
        code(Msisdn::parse("0501234567", "msisdn")),
        "invalid_msisdn",
        "no country code"
    );
    assert_eq!(code(Msisdn::parse("+0501234567", "msisdn")), "invalid_msisdn");
    assert_eq!(
        code(Msisdn::parse("+1234567890123456", "msisdn")),
        "invalid_msisdn",
        "16 digits"
    );
}

#[test]
fn network_codes_keep_their_leading_zeros() {
    assert_eq!(Mcc::parse("424", "mcc").unwrap().as_str(), "424");
    assert_eq!(Mnc::parse("02", "mnc").unwrap().as_str(), "02");
    assert_ne!(Mnc::parse("002", "mnc").unwrap(), Mnc::parse("02", "mnc").unwrap());
    assert_eq!(code(Mcc::parse("42", "mcc")), "invalid_mcc");
    assert_eq!(code(Mnc::parse("1", "mnc")), "invalid_mnc");
    assert_eq!(
        Imsi::parse(" 424021234567890 ", "imsi").unwrap().as_str(),
        "424021234567890"
    );
    assert_eq!(code(Imsi::parse("42402", "imsi")), "invalid_imsi");
}

fn luhn_completed(payload: &str) -> String {
    format!("{payload}{}", luhn_check_digit(payload))
}

proptest! {
    /// Any 18 or 19 digits completed with their Luhn digit are an ICCID, however they are
    /// spaced, and it reads back as the digits.
    #[test]
    fn every_luhn_completed_iccid_parses_to_its_digits(payload in "[0-9]{18,19}", spaced in any::<bool>()) {
        let digits = luhn_completed(&payload);
        let typed = if spaced {
            let groups: Vec<String> = digits.as_bytes().chunks(4).map(|group| String::from_utf8_lossy(group).into_owned()).collect();
            groups.join(" ")
        } else {
            digits.clone()
        };
        let iccid = Iccid::parse(&typed, "iccid").unwrap();
        prop_assert_eq!(iccid.as_str(), digits.as_str());
    }

    /// Changing any one digit of a valid ICCID is caught by its check digit.
    #[test]
    fn a_single_mistyped_digit_is_caught(payload in "[0-9]{18}", position in 0usize..19, delta in 1u8..10) {
        let digits = luhn_completed(&payload);
        let mut bytes = digits.into_bytes();
        bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
        let typo = String::from_utf8(bytes).unwrap();
        prop_assert_eq!(code(Iccid::parse(&typo, "iccid")), "invalid_check_digit");
    }

    /// 14 IMEI digits are completed to the one valid 15-digit IMEI.
    #[test]
    fn an_imei_without_its_check_digit_is_completed(payload in "[0-9]{14}") {
        let imei = Imei::parse(&payload, "imei").unwrap();
        prop_assert!(imei.as_str().starts_with(&payload));
        prop_assert_eq!(Imei::parse(imei.as_str(), "imei").unwrap(), imei);
    }

    /// No input makes a parser panic, and whatever they accept reads back as itself.
    #[test]
    fn the_parsers_never_panic_and_their_output_parses_to_itself(raw in "\\PC{0,40}") {
        if let Ok(iccid) = Iccid::parse(&raw, "iccid") {
            prop_assert_eq!(Iccid::parse(iccid.as_str(), "iccid").unwrap(), iccid);
        }
        if let Ok(imei) = Imei::parse(&raw, "imei") {
            prop_assert_eq!(Imei::parse(imei.as_str(), "imei").unwrap(), imei);
        }
        if let Ok(msisdn) = Msisdn::parse(&raw, "msisdn") {
            prop_assert_eq!(Msisdn::parse(msisdn.as_str(), "msisdn").unwrap(), msisdn);
        }
        let _ = (Imsi::parse(&raw, "imsi"), Mcc::parse(&raw, "mcc"), Mnc::parse(&raw, "mnc"));
    }
}
