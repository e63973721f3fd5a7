//! The e-mails the platform sends, rendered from default templates. Values are HTML-escaped
//! in the HTML part; the text part is plain. Free text someone typed (a rule's, device's or
//! organisation's name) reaches a subject line only through [`quoted`].

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

/// What a template fills in: a greeting, paragraphs, the actions (label and link) and a
/// footer.
struct Filled {
    subject: String,
    greeting: String,
    paragraphs: Vec<String>,
    actions: Vec<(String, String)>,
    footer: String,
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

    fn fill(&self) -> Filled {
        let action = |label: &str, link: &str| vec![(label.to_owned(), link.to_owned())];
        match self {
            EmailMessage::ConfirmEmail { name, link, .. } => Filled {
                subject: "Confirm your e-mail address for Stratum".into(),
                greeting: name.clone(),
                paragraphs: vec!["Welcome to Stratum. Please confirm that this is your e-mail address.".into()],
                actions: action("Confirm e-mail address", link),
                footer: "If you did not create a Stratum account, ignore this message.".into(),
            },
            EmailMessage::ResetPassword { name, link, .. } => Filled {
                subject: "Reset your Stratum password".into(),
                greeting: name.clone(),
                paragraphs: vec!["Someone asked to reset the password of your Stratum account.".into()],
                actions: action("Choose a new password", link),
                footer: "If it was not you, ignore this message: your password stays as it is.".into(),
            },
            EmailMessage::Invitation {
                inviter,
                organisation,
                link,
                ..
            } => Filled {
                subject: match organisation {
                    Some(organisation) => {
                        format!("{} invited you to {} on Stratum", quoted(inviter), quoted(organisation))
                    }
                    None => format!("{} invited you to Stratum", quoted(inviter)),
                },
                greeting: "there".into(),
                paragraphs: vec![match organisation {
                    Some(organisation) => format!("{inviter} invited you to join {organisation} on Stratum."),
                    None => format!("{inviter} invited you to join Stratum."),
                }],
                actions: action("Accept the invitation", link),
                footer: "The invitation expires; if you were not expecting it, ignore this message.".into(),
            },
            EmailMessage::AddedToOrganisation {
                name,
                organisation,
                link,
                block_link,
                ..
            } => Filled {
                subject: format!("You were added to {} on Stratum", quoted(organisation)),
                greeting: name.clone(),
                paragraphs: vec![
                    format!("Someone added you to {organisation} on Stratum."),
                    "Until you accept, you receive no rule or alert e-mail from it.".into(),
                ],
                actions: vec![
                    ("Accept the membership".into(), link.clone()),
                    ("Leave and block this organisation".into(), block_link.clone()),
                ],
                footer: "Blocking removes you from the organisation; it can never add you again.".into(),
            },
            EmailMessage::SimAlert {
                name,
                rule,
                iccid,
                what,
                link,
                ..
            } => Filled {
                subject: format!("SIM {iccid}: rule {}", quoted(rule)),
                greeting: name.clone(),
                paragraphs: vec![what.clone()],
                actions: action("Open the SIM", link),
                footer: "You receive this because a SIM rule of your organisation names you or your role.".into(),
            },
            EmailMessage::SimDigest {
                name,
                rule,
                count,
                first,
                what,
                link,
                ..
            } => {
                let mut listed = first.join(", ");
                if *count > first.len() as u64 {
                    listed.push_str(&format!(" and {} more", *count - first.len() as u64));
                }
                Filled {
                    subject: format!("{count} SIMs: rule {}", quoted(rule)),
                    greeting: name.clone(),
                    paragraphs: vec![what.clone(), format!("SIMs: {listed}.")],
                    actions: action("Open the job's report", link),
                    footer: "You receive one such summary per change request and rule, never one per SIM.".into(),
                }
            }
            EmailMessage::DeviceAlert {
                name, device, alerts, ..
            } => {
                let worst = alerts
                    .iter()
                    .min_by_key(|line| severity_rank(&line.severity))
                    .map_or("info", |line| line.severity.as_str());
                let subject = match alerts.as_slice() {
                    [one] => format!(
                        "[{}] {} on {}: {}",
                        one.severity,
                        quoted(&one.title),
                        quoted(device),
                        if one.raised { "raised" } else { "cleared" }
                    ),
                    many => format!("[{worst}] {} alerts on {}", many.len(), quoted(device)),
                };
                Filled {
                    subject,
                    greeting: name.clone(),
                    paragraphs: alerts
                        .iter()
                        .map(|line| {
                            format!(
                                "{} [{}] {}: {}",
                                if line.raised { "Raised" } else { "Cleared" },
                                line.severity,
                                line.title,
                                line.what
                            )
                        })
                        .collect(),
                    actions: alerts
                        .iter()
                        .map(|line| (format!("Open “{}”", line.title), line.link.clone()))
                        .collect(),
                    footer: "You receive this because an alert of your organisation names you or your role; \
                             you can turn alert e-mails off in your profile."
                        .into(),
                }
            }
            EmailMessage::NoticesHeld {
                name,
                organisation,
                held,
                hour,
                first,
                link,
                ..
            } => Filled {
                subject: format!("{held} notices from {} held back", quoted(organisation)),
                greeting: name.clone(),
                paragraphs: vec![
                    format!(
                        "{organisation} sent more notices in {hour} than its hourly e-mail allowance, so {held} of \
                         them to you were not e-mailed one by one."
                    ),
                    format!("The first was: {first}"),
                ],
                actions: action("See them in Stratum", link),
                footer: "You receive at most one such summary per organisation and hour.".into(),
            },
        }
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

/// Severities from the most to the least urgent.
fn severity_rank(severity: &str) -> usize {
    ["critical", "major", "minor", "warning", "info"]
        .iter()
        .position(|known| *known == severity)
        .unwrap_or(usize::MAX)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn jane() -> Email {
        Email::parse("jane@example.com").unwrap()
    }

    #[test]
    fn a_tenants_free_text_reaches_a_subject_only_in_quotes_it_cannot_close() {
        let message = EmailMessage::SimAlert {
            to: jane(),
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
            to: jane(),
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

    #[test]
    fn several_alerts_of_one_message_are_one_mail_under_the_worst_severity() {
        let line = |title: &str, severity: &str| AlertLine {
            title: title.into(),
            severity: severity.into(),
            raised: true,
            what: "It is so.".into(),
            link: format!("https://app.example.com/{title}"),
        };
        let message = EmailMessage::DeviceAlert {
            to: jane(),
            name: "Jane".into(),
            device: "Boiler".into(),
            alerts: vec![line("Warm", "minor"), line("Hot", "critical"), line("Dry", "warning")],
        };
        let mail = message.render();
        assert_eq!(mail.subject, "[critical] 3 alerts on “Boiler”");
        for title in ["Warm", "Hot", "Dry"] {
            assert!(mail.text.contains(&format!("https://app.example.com/{title}")));
        }
        assert_eq!(message.lane(), Lane::Notices);
    }
}
