//! The e-mails of alert changes: one per person a change tells, each line naming the device,
//! the port and the value.

use crate::alerts::{Alarms, Alert};
use crate::error::DomainResult;
use crate::identity::User;
use crate::mail::{AlertLine, EmailMessage};
use crate::notices::Notice;
use crate::placement::Placement;
use crate::recipients::Recipients;
use crate::store::Write;

impl Alarms<'_> {
    /// The e-mails about `changed` alerts (each raised, or cleared): one per person, listing
    /// every alert of theirs, at most [`crate::recipients::MAX_RECIPIENTS`] people, within the
    /// organisation's hourly budget ([`Notices::writes`]).
    pub(super) async fn mails(&self, changed: &[(Alert, bool)]) -> DomainResult<Vec<Write>> {
        let Some((first, _)) = changed.first() else {
            return Ok(vec![]);
        };
        let mut people: Vec<(User, Vec<AlertLine>)> = Vec::new();
        // Alerts of one device while with one holder reach the same members: read them once.
        let mut placements: Vec<Placement> = changed.iter().map(|(alert, _)| alert.placement()).collect();
        placements.sort_by_key(|placement| (placement.company_id, placement.end_user_id));
        placements.dedup();
        for placement in placements {
            let group: Vec<&(Alert, bool)> = changed
                .iter()
                .filter(|(alert, _)| alert.placement() == placement)
                .collect();
            let mut organisations = vec![first.organisation_id];
            organisations.extend(placement.company_id);
            let lists: Vec<&Recipients> = group.iter().map(|(alert, _)| &alert.recipients).collect();
            let resolved = Recipients::resolve_each(self.store, &organisations, placement.end_user_id, &lists).await?;
            for ((alert, raised), recipients) in group.into_iter().zip(resolved) {
                let line = self.line(alert, *raised);
                for person in recipients {
                    if let Some(known) = people.iter().position(|(known, _)| known.id == person.id) {
                        people[known].1.push(line.clone());
                    } else if people.len() < crate::recipients::MAX_RECIPIENTS {
                        people.push((person, vec![line.clone()]));
                    }
                }
            }
        }
        let device = first.device_name.clone().unwrap_or_else(|| first.device_id.to_string());
        let notices = people
            .into_iter()
            .map(|(person, alerts)| Notice {
                mail: EmailMessage::DeviceAlert {
                    to: person.email.clone(),
                    name: person.name.clone(),
                    device: device.clone(),
                    alerts,
                },
                to: person,
            })
            .collect();
        self.notices
            .writes(self.store, first.organisation_id, notices, self.now)
            .await
    }

    /// One alert as an e-mail lists it: linked through the device's company when it has one
    /// (its staff reach the alert there, and the root's reach it through any of its companies).
    fn line(&self, alert: &Alert, raised: bool) -> AlertLine {
        AlertLine {
            title: alert.title.clone(),
            severity: alert.severity.as_str().to_owned(),
            raised,
            what: alert.message.clone(),
            link: format!(
                "{}/organisations/{}/alerts/{}",
                self.notices.web_url,
                alert.company_id.unwrap_or(alert.organisation_id),
                alert.id
            ),
        }
    }
}
