//! The e-mails the platform sends, rendered from default templates. Values are HTML-escaped
//! in the HTML part; the text part is plain. Free text someone typed (a rule's, device's or
//! organisation's name) reaches a subject line only through [`quoted`].

mod templates;

use crate::accounts::Email;
use serde::{Deserialize, Serialize};

/// Which outbox partition and queue a message travels through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lane {
    /// Mail a person waits for: confirmation, password reset, invitations.
    #[default]
    Identity,
    /// Mail about what happens in an organisation: rules, alerts, digests, summaries.
    Notices,
}

impl Lane {
    pub const ALL: [Lane; 2] = [Lane::Identity, Lane::Notices];
}

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
    /// Someone added them to an organisation: until they accept, no rule or alert e-mail of
    /// it reaches them; they may instead leave it and block it for good.
    AddedToOrganisation {
        to: Email,
        name: String,
        organisation: String,
        /// Accepts the membership (`{web_url}/membership/accept?token=…`).
        link: String,
        /// Leaves the organisation and blocks it (`{web_url}/membership/block?token=…`).
        block_link: String,
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
    /// What one change request (a bulk change of up to 10,000 SIMs) did under one rule: the
    /// count and the first ICCIDs, never an e-mail per SIM.
    SimDigest {
        to: Email,
        name: String,
        rule: String,
        /// SIMs the rule applied to.
        count: u64,
        /// The first of them.
        first: Vec<String>,
        /// What happened to them, one sentence.
        what: String,
        /// The job.
        link: String,
    },
    /// One message of a device raised (or cleared) alerts: one e-mail, however many.
    DeviceAlert {
        to: Email,
        name: String,
        /// The device's name, or its id.
        device: String,
        alerts: Vec<AlertLine>,
    },
    /// The organisation's notices to this person past its hourly e-mail budget, summed up
    /// once the hour is over.
    NoticesHeld {
        to: Email,
        name: String,
        organisation: String,
        held: u64,
        /// The hour, `2026-03-01 09:00–10:00 UTC`.
        hour: String,
        /// The first subject held back.
        first: String,
        link: String,
    },
}

/// One alert of a [`EmailMessage::DeviceAlert`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertLine {
    /// The rule's name, or the alert's kind.
    pub title: String,
    pub severity: String,
    pub raised: bool,
    pub what: String,
    pub link: String,
}

/// A rendered e-mail, ready for a mailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Longest stretch of someone's free text a subject line shows.
const MAX_QUOTED_CHARS: usize = 60;
/// ICCIDs a digest lists.
pub const DIGEST_ICCIDS: usize = 10;

impl EmailMessage {
    pub fn to(&self) -> &Email {
        match self {
            EmailMessage::ConfirmEmail { to, .. }
            | EmailMessage::ResetPassword { to, .. }
            | EmailMessage::Invitation { to, .. }
            | EmailMessage::AddedToOrganisation { to, .. }
            | EmailMessage::SimAlert { to, .. }
            | EmailMessage::SimDigest { to, .. }
            | EmailMessage::DeviceAlert { to, .. }
            | EmailMessage::NoticesHeld { to, .. } => to,
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
            EmailMessage::SimDigest { .. } => "sim_digest",
            EmailMessage::DeviceAlert { .. } => "device_alert",
            EmailMessage::NoticesHeld { .. } => "notices_held",
        }
    }

    /// The lane it travels: what a person waits for (confirmation, reset, invitations) never
    /// queues behind an organisation's notices.
    pub fn lane(&self) -> Lane {
        match self {
            EmailMessage::ConfirmEmail { .. }
            | EmailMessage::ResetPassword { .. }
            | EmailMessage::Invitation { .. }
            | EmailMessage::AddedToOrganisation { .. } => Lane::Identity,
            EmailMessage::SimAlert { .. }
            | EmailMessage::SimDigest { .. }
            | EmailMessage::DeviceAlert { .. }
            | EmailMessage::NoticesHeld { .. } => Lane::Notices,
        }
    }

    /// The subject line, for logs and summaries.
    pub fn subject(&self) -> String {
        self.fill().subject
    }

    pub fn render(&self) -> RenderedEmail {
        let filled = self.fill();
        let mut text = format!("Hello {},\n\n", filled.greeting);
        let mut html = format!(
            "<!doctype html><html><body><p>Hello {},</p>",
            escape_html(&filled.greeting)
        );
        for paragraph in &filled.paragraphs {
            text.push_str(&format!("{paragraph}\n\n"));
            html.push_str(&format!("<p>{}</p>", escape_html(paragraph)));
        }
        for (label, link) in &filled.actions {
            text.push_str(&format!("{label}: {link}\n\n"));
            html.push_str(&format!(
                "<p><a href=\"{}\">{}</a></p>",
                escape_html(link),
                escape_html(label)
            ));
        }
        text.push_str(&format!("{}\n", filled.footer));
        html.push_str(&format!("<p>{}</p></body></html>", escape_html(&filled.footer)));
        RenderedEmail {
            to: self.to().to_string(),
            subject: filled.subject,
            text,
            html,
        }
    }
}

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
