//! Where a device or SIM was placed within its root organisation: the company and the end user
//! it was with (SPEC §2). Records written about it (points, latest values, commands,
//! maintenance, alerts, usage) carry the placement of when they were written, so the next
//! holder sees nothing from before and the earlier one keeps what is theirs.

use crate::ids::{OrganisationId, UserId};
use crate::store::Item;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Placement {
    pub company_id: Option<OrganisationId>,
    pub end_user_id: Option<UserId>,
}

/// Who reads an organisation's records: the root's staff (no company), a company's staff, or
/// an end user (not staff) of a company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reader {
    pub company: Option<OrganisationId>,
    pub user: UserId,
    pub staff: bool,
}

impl Placement {
    pub fn new(company_id: Option<OrganisationId>, end_user_id: Option<UserId>) -> Placement {
        Placement {
            company_id,
            end_user_id,
        }
    }

    /// Whether `reader` sees what was recorded under this placement: the root's staff see
    /// everything; a company's staff what was recorded while it was the company's; an end
    /// user what was recorded while it was theirs.
    pub fn seen_by(&self, reader: &Reader) -> bool {
        reader.company.is_none_or(|company| self.company_id == Some(company))
            && (reader.staff || self.end_user_id == Some(reader.user))
    }

    /// The placement as key segments (`-` for none), so records of different holders never
    /// share a key.
    pub fn segments(&self) -> [String; 2] {
        [
            self.company_id.map_or_else(|| "-".to_owned(), |id| id.to_string()),
            self.end_user_id.map_or_else(|| "-".to_owned(), |id| id.to_string()),
        ]
    }
}

/// The placement an item about a device was written under (its `company_id` and
/// `end_user_id`; none for the root's own).
impl Placement {
    /// The placement a stored record was written with (none: the root's own).
    pub(crate) fn of_item(item: &Item) -> Placement {
        let attribute = |name: &str| item.attribute(name).cloned().unwrap_or_default();
        Self::new(
            serde_json::from_value(attribute("company_id")).unwrap_or_default(),
            serde_json::from_value(attribute("end_user_id")).unwrap_or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reader_sees_only_what_was_recorded_for_them() {
        let (shop, depot) = (OrganisationId::generate(), OrganisationId::generate());
        let (eve, finn) = (UserId::generate(), UserId::generate());
        let eves = Placement::new(Some(shop), Some(eve));
        let root_staff = Reader {
            company: None,
            user: UserId::generate(),
            staff: true,
        };
        let shop_staff = Reader {
            company: Some(shop),
            ..root_staff
        };
        let depot_staff = Reader {
            company: Some(depot),
            ..root_staff
        };
        let as_eve = Reader {
            company: Some(shop),
            user: eve,
            staff: false,
        };
        let as_finn = Reader { user: finn, ..as_eve };
        assert!(eves.seen_by(&root_staff) && eves.seen_by(&shop_staff) && eves.seen_by(&as_eve));
        assert!(!eves.seen_by(&depot_staff) && !eves.seen_by(&as_finn));
        assert!(
            !Placement::new(Some(shop), None).seen_by(&as_eve),
            "the company's, not hers"
        );
        assert!(
            !Placement::default().seen_by(&shop_staff),
            "the root's own, before the company"
        );
    }
}
