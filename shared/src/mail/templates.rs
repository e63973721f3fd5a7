//! What each e-mail says: its subject, greeting, paragraphs, actions and footer, filled in from
//! the message; free text from a tenant only ever quoted.

use crate::mail::{EmailMessage, quoted};

/// What a template fills in: a greeting, paragraphs, the actions (label and link) and a
/// footer.
pub(super) struct Filled {
    pub(super) subject: String,
    pub(super) greeting: String,
    pub(super) paragraphs: Vec<String>,
    pub(super) actions: Vec<(String, String)>,
    pub(super) footer: String,
}

/// Severities from the most to the least urgent.
fn severity_rank(severity: &str) -> usize {
    ["critical", "major", "minor", "warning", "info"]
        .iter()
        .position(|known| *known == severity)
        .unwrap_or(usize::MAX)
}

impl EmailMessage {
    pub(super) fn fill(&self) -> Filled {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Email;
    use crate::mail::{AlertLine, Lane};

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
