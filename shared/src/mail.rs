//! The e-mails the platform sends, rendered from default templates. Values are HTML-escaped
//! in the HTML part; the text part is plain.

use crate::identity::Email;
use serde::{Deserialize, Serialize};

/// An e-mail to send, as the outbox stores it: who to, and which template with which values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum EmailMessage {
    ConfirmEmail {
        to: Email,
        name: String,
        link: String,
    },
    ResetPassword {
        to: Email,
        name: String,
        link: String,
    },
    Invitation {
        to: Email,
        inviter: String,
        organisation: Option<String>,
        link: String,
    },
    AddedToOrganisation {
        to: Email,
        name: String,
        organisation: String,
        link: String,
    },
    /// A SIM rule fired: data usage crossed its threshold, or the SIM changed state.
    SimAlert {
        to: Email,
        name: String,
        rule: String,
        iccid: String,
        /// What happened, one sentence.
        what: String,
        link: String,
    },
    /// A device's alert was raised (or cleared).
    DeviceAlert {
        to: Email,
        name: String,
        /// The rule's name, or the alert's kind.
        title: String,
        severity: String,
        /// The device's name, or its id.
        device: String,
        raised: bool,
        what: String,
        link: String,
    },
}

/// A rendered e-mail, ready for a mailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl EmailMessage {
    pub fn to(&self) -> &Email {
        match self {
            EmailMessage::ConfirmEmail { to, .. }
            | EmailMessage::ResetPassword { to, .. }
            | EmailMessage::Invitation { to, .. }
            | EmailMessage::AddedToOrganisation { to, .. }
            | EmailMessage::SimAlert { to, .. }
            | EmailMessage::DeviceAlert { to, .. } => to,
        }
    }

    /// The template's name, as the message's kind in logs.
    pub fn template(&self) -> &'static str {
        match self {
            EmailMessage::ConfirmEmail { .. } => "confirm_email",
            EmailMessage::ResetPassword { .. } => "reset_password",
            EmailMessage::Invitation { .. } => "invitation",
            EmailMessage::AddedToOrganisation { .. } => "added_to_organisation",
            EmailMessage::SimAlert { .. } => "sim_alert",
            EmailMessage::DeviceAlert { .. } => "device_alert",
        }
    }

    pub fn render(&self) -> RenderedEmail {
        let (subject, greeting, body, action, link, footer): (String, &str, String, &str, &str, &str) = match self {
            EmailMessage::ConfirmEmail { name, link, .. } => (
                "Confirm your e-mail address for Stratum".into(),
                name,
                "Welcome to Stratum. Please confirm that this is your e-mail address.".into(),
                "Confirm e-mail address",
                link,
                "If you did not create a Stratum account, ignore this message.",
            ),
            EmailMessage::ResetPassword { name, link, .. } => (
                "Reset your Stratum password".into(),
                name,
                "Someone asked to reset the password of your Stratum account.".into(),
                "Choose a new password",
                link,
                "If it was not you, ignore this message: your password stays as it is.",
            ),
            EmailMessage::Invitation {
                inviter,
                organisation,
                link,
                ..
            } => (
                match organisation {
                    Some(organisation) => {
                        format!("{} invited you to {} on Stratum", quoted(inviter), quoted(organisation))
                    }
                    None => format!("{} invited you to Stratum", quoted(inviter)),
                },
                "there",
                match organisation {
                    Some(organisation) => format!("{inviter} invited you to join {organisation} on Stratum."),
                    None => format!("{inviter} invited you to join Stratum."),
                },
                "Accept the invitation",
                link,
                "The invitation expires; if you were not expecting it, ignore this message.",
            ),
            EmailMessage::AddedToOrganisation {
                name,
                organisation,
                link,
                ..
            } => (
                format!("You were added to {} on Stratum", quoted(organisation)),
                name,
                format!("You are now a member of {organisation} on Stratum."),
                "Open Stratum",
                link,
                "If you did not expect this, ask the organisation's owners.",
            ),
            EmailMessage::SimAlert {
                name,
                rule,
                iccid,
                what,
                link,
                ..
            } => (
                format!("SIM {iccid}: rule {}", quoted(rule)),
                name,
                what.clone(),
                "Open the SIM",
                link,
                "You receive this because a SIM rule of your organisation names you or your role.",
            ),
            EmailMessage::DeviceAlert {
                name,
                title,
                severity,
                device,
                raised,
                what,
                link,
                ..
            } => (
                format!(
                    "[{severity}] {} on {}: {}",
                    quoted(title),
                    quoted(device),
                    if *raised { "raised" } else { "cleared" }
                ),
                name,
                format!(
                    "{} {what}",
                    if *raised {
                        "An alert was raised."
                    } else {
                        "An alert was cleared."
                    }
                ),
                "Open the alert",
                link,
                "You receive this because an alert of your organisation names you or your role; \
                 you can turn alert e-mails off in your profile.",
            ),
        };
        let text = format!("Hello {greeting},\n\n{body}\n\n{action}: {link}\n\n{footer}\n");
        let html = format!(
            "<!doctype html><html><body><p>Hello {},</p><p>{}</p><p><a href=\"{}\">{}</a></p><p>{}</p></body></html>",
            escape_html(greeting),
            escape_html(&body),
            escape_html(link),
            escape_html(action),
            escape_html(footer)
        );
        RenderedEmail {
            to: self.to().to_string(),
            subject: subject.to_owned(),
            text,
            html,
        }
    }
}

/// Longest stretch of someone's free text a subject line shows.
const MAX_QUOTED_CHARS: usize = 60;

/// Free text a tenant or person typed (a rule's, device's or organisation's name), as a subject
/// line shows it: in quotation marks it cannot close itself (its own quotation marks become
/// apostrophes), at most [`MAX_QUOTED_CHARS`] characters, so nobody can make a notice's subject
/// read as the platform's own words ("Your password expired — reset it at …").
pub fn quoted(text: &str) -> String {
    let mut shown: String = text
        .chars()
        .map(|c| {
            if matches!(c, '"' | '“' | '”' | '„' | '«' | '»') {
                '\''
            } else {
                c
            }
        })
        .take(MAX_QUOTED_CHARS)
        .collect();
    if text.chars().count() > MAX_QUOTED_CHARS {
        shown.push('…');
    }
    format!("“{shown}”")
}

pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenants_free_text_reaches_a_subject_only_in_quotes_it_cannot_close() {
        let message = EmailMessage::SimAlert {
            to: Email::parse("jane@example.com").unwrap(),
            name: "Jane".into(),
            rule: "x” Your password expired, reset it at evil.example “".into(),
            iccid: "8949000000000000018".into(),
            what: "It happened.".into(),
            link: "https://app.example.com/x".into(),
        };
        assert_eq!(
            message.render().subject,
            "SIM 8949000000000000018: rule “x' Your password expired, reset it at evil.example '”"
        );
        assert_eq!(quoted(&"a".repeat(70)), format!("“{}…”", "a".repeat(60)));
    }

    #[test]
    fn the_confirmation_mail_carries_the_link_and_escapes_the_name() {
        let message = EmailMessage::ConfirmEmail {
            to: Email::parse("jane@example.com").unwrap(),
            name: "<b>Jane</b>".into(),
            link: "https://app.example.com/confirm-email?token=abc&x=1".into(),
        };
        let mail = message.render();
        assert_eq!(mail.to, "jane@example.com");
        assert!(
            mail.text
                .contains("https://app.example.com/confirm-email?token=abc&x=1")
        );
        assert!(mail.html.contains("&lt;b&gt;Jane&lt;/b&gt;"));
        assert!(mail.html.contains("token=abc&amp;x=1"));
    }
}
