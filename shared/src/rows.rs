//! Files of rows (bulk imports): a JSON array of objects, or CSV (RFC 4180) with a header row
//! naming the columns. Each row is kept as the object of the columns it has and parsed by its
//! use case on its own, so one bad row is reported and the rows behind it go on.

use crate::validation::{Collector, ValidationErrors};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// Rows a file may hold.
pub const MAX_FILE_ROWS: usize = 100_000;

/// A row as read from the file: an object of the columns it has.
pub type RawRow = Value;

/// What a kind of file holds: its columns, the one every row needs, the columns that hold a
/// `;`-separated list in CSV, and the key a JSON body wraps its array in (none: a bare array).
#[derive(Debug, Clone, Copy)]
pub struct RowFormat {
    pub columns: &'static [&'static str],
    pub required: &'static str,
    pub lists: &'static [&'static str],
    pub wrapper: Option<&'static str>,
}

/// A file's own faults, before any row is read: none, or too many rows.
pub fn check_file(rows: &[RawRow]) -> Result<(), ValidationErrors> {
    if rows.is_empty() {
        return Err(ValidationErrors::single("body", "empty", "the file holds no rows"));
    }
    if rows.len() > MAX_FILE_ROWS {
        return Err(ValidationErrors::single(
            "body",
            "too_many_rows",
            format!("at most {MAX_FILE_ROWS} rows per file"),
        ));
    }
    Ok(())
}

/// A kind of file of rows, named by a type so an extractor can take it as a parameter.
pub trait RowFile {
    const FORMAT: RowFormat;
}

/// Reads a CSV file (RFC 4180: quoted fields, doubled quotes, CRLF or LF) with a header row
/// into rows of the named columns; empty cells are absent.
pub fn parse_csv(text: &str, format: &RowFormat) -> Result<Vec<RawRow>, ValidationErrors> {
    let mut records = csv_records(text.strip_prefix('\u{feff}').unwrap_or(text))
        .map_err(|message| ValidationErrors::single("body", "invalid_csv", message))?;
    if records.is_empty() {
        return Err(ValidationErrors::single(
            "body",
            "invalid_csv",
            "a header row is required",
        ));
    }
    let header: Vec<String> = records
        .remove(0)
        .into_iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let mut errors = Collector::new();
    for name in &header {
        if !format.columns.contains(&name.as_str()) {
            errors.push(
                "body",
                "unknown_column",
                format!("unknown column {name:?}; the columns are {}", format.columns.join(", ")),
            );
        }
    }
    if !header.iter().any(|name| name == format.required) {
        errors.push(
            "body",
            "missing_column",
            format!("the header names a {} column", format.required),
        );
    }
    if header.iter().collect::<BTreeSet<_>>().len() != header.len() {
        errors.push("body", "duplicate_column", "each column is named once");
    }
    errors.finish(|| ())?;
    Ok(records
        .into_iter()
        .map(|record| {
            let mut row = Map::new();
            for (name, cell) in header.iter().zip(record) {
                let cell = cell.trim();
                if cell.is_empty() {
                    continue;
                }
                let value = if format.lists.contains(&name.as_str()) {
                    json!(
                        cell.split(';')
                            .map(str::trim)
                            .filter(|l| !l.is_empty())
                            .collect::<Vec<_>>()
                    )
                } else {
                    json!(cell)
                };
                row.insert(name.clone(), value);
            }
            Value::Object(row)
        })
        .collect())
}

/// Cells a CSV line may hold (the columns, and room for a trailing comma or two).
const MAX_CELLS: usize = 16;

/// The records of a CSV text; blank lines are skipped.
fn csv_records(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut line = 1;
    while let Some(ch) = chars.next() {
        match (quoted, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, other) => {
                if other == '\n' {
                    line += 1;
                }
                field.push(other)
            }
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true
            }
            (false, ',') => {
                record.push(std::mem::take(&mut field));
                if record.len() > MAX_CELLS {
                    return Err(format!("line {line} has more than {MAX_CELLS} cells"));
                }
            }
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                line += 1;
                record.push(std::mem::take(&mut field));
                if !(record.len() == 1 && record[0].trim().is_empty()) {
                    records.push(std::mem::take(&mut record));
                    if records.len() > MAX_FILE_ROWS + 1 {
                        return Err(format!("a file holds at most {MAX_FILE_ROWS} rows"));
                    }
                }
                record.clear();
            }
            (false, other) => field.push(other),
        }
    }
    if quoted {
        return Err(format!("a quoted field opened before line {line} is never closed"));
    }
    record.push(field);
    if !(record.len() == 1 && record[0].trim().is_empty()) {
        records.push(record);
    }
    Ok(records)
}

/// Characters of a refused row's ICCID repeated in its report.
const MAX_ECHOED_CHARS: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    Created,
    /// A bulk job changed the SIM's state.
    Changed,
    Unchanged,
    Error,
}

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SimImportRowReport)]
pub struct RowReport {
    /// The row's number in the file: 1 is the first row after a CSV header, or the array's
    /// first element.
    pub row: u64,
    /// The ICCID as read (normalised when it parsed); null in a device import's report.
    pub iccid: Option<String>,
    /// A device import's: the IMEI as read (completed and normalised when it parsed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imei: Option<String>,
    pub outcome: RowOutcome,
    /// Why the row was refused: a field's error code (`invalid_check_digit`, `unknown_plan`,
    /// `unknown_model`…), `iccid_taken`, `imei_taken`, `duplicate_in_file` or `invalid_row`.
    pub code: Option<String>,
    /// The field the code is about.
    pub field: Option<String>,
}

impl RowReport {
    pub(crate) fn error(row: u64, iccid: Option<String>, field: Option<&str>, code: &str) -> Self {
        RowReport {
            row,
            // As read, so the owner finds the row; cut short, so a report stays small.
            iccid: iccid.map(|text| text.chars().take(MAX_ECHOED_CHARS).collect()),
            imei: None,
            outcome: RowOutcome::Error,
            code: Some(code.to_owned()),
            field: field.map(str::to_owned),
        }
    }

    /// A row's outcome, for the SIM of `iccid`.
    pub(crate) fn sim(row: u64, iccid: Option<String>, outcome: RowOutcome) -> Self {
        RowReport {
            row,
            iccid,
            imei: None,
            outcome,
            code: None,
            field: None,
        }
    }

    /// A device import row's report: its outcome, or with a code, why it was refused.
    pub(crate) fn device(row: u64, imei: Option<String>, outcome: RowOutcome) -> Self {
        RowReport {
            row,
            iccid: None,
            imei: imei.map(|text| text.chars().take(MAX_ECHOED_CHARS).collect()),
            outcome,
            code: None,
            field: None,
        }
    }

    /// The same report refused with `code` on `field`.
    pub(crate) fn refused(self, field: &str, code: &str) -> Self {
        RowReport {
            outcome: RowOutcome::Error,
            code: Some(code.to_owned()),
            field: Some(field.to_owned()),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIMS: RowFormat = RowFormat {
        columns: &["iccid", "imsi", "msisdn", "labels"],
        required: "iccid",
        lists: &["labels"],
        wrapper: None,
    };

    #[test]
    fn csv_reads_quoted_fields_crlf_and_labels() {
        let rows = parse_csv(
            "ICCID,labels,msisdn\r\n\"8944 5001\",\"fleet; eu\",\r\n\r\n2,,+4915\n",
            &SIMS,
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], json!({ "iccid": "8944 5001", "labels": ["fleet", "eu"] }));
        assert_eq!(rows[1], json!({ "iccid": "2", "msisdn": "+4915" }));
    }

    #[test]
    fn csv_quotes_may_hold_commas_newlines_and_doubled_quotes() {
        let rows = parse_csv("iccid,labels\n1,\"a,b\"\"c\nd\"\n", &SIMS).unwrap();
        assert_eq!(rows[0]["labels"], json!(["a,b\"c\nd"]));
    }

    #[test]
    fn a_csv_header_must_name_known_columns_and_iccid() {
        let codes = |text: &str| -> Vec<&'static str> {
            parse_csv(text, &SIMS)
                .unwrap_err()
                .errors()
                .iter()
                .map(|e| e.code)
                .collect()
        };
        assert_eq!(codes("imsi,colour\n1,2\n"), ["unknown_column", "missing_column"]);
        assert_eq!(codes("iccid,iccid\n"), ["duplicate_column"]);
        assert_eq!(codes("iccid\n\"open\n"), ["invalid_csv"]);
    }
}
