//! Mailers: SES on AWS (`ses` feature); `.eml` files for the local server.

use async_trait::async_trait;
use std::path::PathBuf;
use stratum_shared::mail::RenderedEmail;
use stratum_shared::ports::{Mailer, PortError};

/// Writes each e-mail as an RFC 5322 message (`.eml`, multipart text + HTML) into a folder,
/// so local users read what would have been sent.
pub struct FileMailer {
    folder: PathBuf,
    from: String,
}

impl FileMailer {
    pub fn new(folder: impl Into<PathBuf>, from: impl Into<String>) -> std::io::Result<Self> {
        let folder = folder.into();
        std::fs::create_dir_all(&folder)?;
        Ok(Self {
            folder,
            from: from.into(),
        })
    }
}

/// The RFC 5322 text of `email`: headers, then a multipart/alternative body.
pub fn rfc5322(email: &RenderedEmail, from: &str, date: chrono::DateTime<chrono::Utc>, message_id: &str) -> String {
    let boundary = format!("stratum-{message_id}");
    let mut text = String::new();
    for (name, value) in [
        ("From", from),
        ("To", &email.to),
        ("Subject", &email.subject),
        ("Date", &date.to_rfc2822()),
        ("Message-ID", &format!("<{message_id}@stratum.local>")),
        ("MIME-Version", "1.0"),
        (
            "Content-Type",
            &format!("multipart/alternative; boundary=\"{boundary}\""),
        ),
    ] {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    for (content_type, body) in [("text/plain", &email.text), ("text/html", &email.html)] {
        text.push_str(&format!(
            "\r\n--{boundary}\r\nContent-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        ));
        text.push_str(&body.replace("\r\n", "\n").replace('\n', "\r\n"));
    }
    text.push_str(&format!("\r\n--{boundary}--\r\n"));
    text
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, email: &RenderedEmail) -> Result<(), PortError> {
        let now = chrono::Utc::now();
        let id = uuid::Uuid::now_v7().to_string();
        let path = self
            .folder
            .join(format!("{}-{id}.eml", now.format("%Y%m%dT%H%M%S%.3fZ")));
        tokio::fs::write(&path, rfc5322(email, &self.from, now, &id))
            .await
            .map_err(|e| PortError::Unavailable(format!("writing {}: {e}", path.display())))
    }
}

#[cfg(feature = "ses")]
pub use ses::SesMailer;

#[cfg(feature = "ses")]
mod ses {
    use super::*;
    use aws_sdk_ses::Client;
    use aws_sdk_ses::types::{Body, Content, Destination, Message};

    /// Sends through SES (v1 `SendEmail`, simple content: templates are rendered in Rust).
    pub struct SesMailer {
        client: Client,
        from: String,
    }

    impl SesMailer {
        pub fn new(config: &aws_config::SdkConfig, from: impl Into<String>) -> Self {
            Self {
                client: Client::new(config),
                from: from.into(),
            }
        }
    }

    fn content(text: &str) -> Content {
        Content::builder()
            .data(text)
            .charset("UTF-8")
            .build()
            .expect("content has data")
    }

    #[async_trait]
    impl Mailer for SesMailer {
        async fn send(&self, email: &RenderedEmail) -> Result<(), PortError> {
            let message = Message::builder()
                .subject(content(&email.subject))
                .body(
                    Body::builder()
                        .text(content(&email.text))
                        .html(content(&email.html))
                        .build(),
                )
                .build();
            self.client
                .send_email()
                .source(&self.from)
                .destination(Destination::builder().to_addresses(&email.to).build())
                .message(message)
                .send()
                .await
                .map(drop)
                .map_err(|e| crate::aws::port_error("SendEmail", e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_eml_has_the_headers_and_both_parts() {
        let email = RenderedEmail {
            to: "jane@example.com".into(),
            subject: "Hi".into(),
            text: "line 1\nline 2".into(),
            html: "<p>hi</p>".into(),
        };
        let date = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let eml = rfc5322(&email, "Stratum <no-reply@stratum.local>", date, "m1");
        assert!(eml.starts_with("From: Stratum <no-reply@stratum.local>\r\nTo: jane@example.com\r\nSubject: Hi\r\n"));
        assert!(eml.contains("line 1\r\nline 2"));
        assert!(eml.contains("Content-Type: text/html; charset=utf-8"));
        assert!(eml.ends_with("--stratum-m1--\r\n"));
    }
}
