//! A person's sessions: listed, one revoked, or all ended at once (a password reset, a
//! suspension) in the same transaction as their cause.

use super::{Identity, Principal, Session, User};
use crate::audit::RequestContext;
use crate::error::{DomainError, DomainResult};
use crate::identity::SessionView;
use crate::ids::{SessionId, UserId};
use crate::keys;
use crate::store::{Condition, Index, Query, Write};
use crate::unit_of_work::UnitOfWork;
use serde_json::json;

impl Identity {
    pub async fn sessions(&self, user_id: UserId, current: Option<SessionId>) -> DomainResult<Vec<SessionView>> {
        let page = self
            .store
            .query(&Query::new(Index::Table, keys::sessions_partition(user_id)).limit(200))
            .await?;
        page.items
            .iter()
            .map(|item| {
                let session: Session = item.record()?;
                Ok(SessionView {
                    current: Some(session.id) == current,
                    id: session.id,
                    created_at: session.created_at,
                    last_used_at: session.last_used_at,
                    expires_at: session.expires_at,
                    user_agent: session.user_agent,
                    source_address: session.source_address,
                })
            })
            .collect()
    }

    /// Ends one of the user's own sessions; another user's session id is simply not found.
    pub async fn revoke_session(
        &self,
        principal: &Principal,
        session_id: SessionId,
        context: &RequestContext,
    ) -> DomainResult<()> {
        let user = &principal.user;
        let end = Write::Delete {
            key: keys::session(user.id, session_id),
            condition: Some(Condition::Exists),
        };
        let event = self.account_event(
            principal.actor(),
            user,
            "session.revoked",
            json!({ "session_id": session_id }),
            context,
        );
        UnitOfWork::new()
            .write_or(end, DomainError::NotFound)
            .write(self.revocation(user.id, session_id))
            .audit(event)
            .commit(&*self.store)
            .await
    }

    /// Removes the sessions a suspension or a password reset ended (those begun before the
    /// profile's `sessions_ended_at`, which already refuses their tokens), page by page,
    /// revoking each. Expired sessions DynamoDB has not removed yet are filtered out after its
    /// page limit, so a page may come back empty with more to follow: the cursor, not an empty
    /// page, ends the loop. A session begun since (a sign-in with the new password) stays.
    pub(crate) async fn revoke_all_sessions(&self, user_id: UserId) -> DomainResult<()> {
        let Some(profile) = self.store.get(&keys::user(user_id)).await? else {
            return Ok(());
        };
        let user: User = profile.record()?;
        let mut cursor = None;
        loop {
            let query = Query::new(Index::Table, keys::sessions_partition(user_id))
                .limit(50)
                .after(cursor);
            let page = self.store.query(&query).await?;
            let mut deletes = Vec::new();
            for item in page.items {
                let session: Session = item.record()?;
                // Begun after the cut-off: a sign-in with the new password. (One begun in its
                // very millisecond is removed: the cut-off cannot tell it apart.)
                if user.sessions_ended_at.is_some_and(|ended| session.created_at > ended) {
                    continue;
                }
                deletes.push(Write::Delete {
                    key: item.key,
                    condition: None,
                });
                deletes.push(self.revocation(user_id, session.id));
            }
            if !deletes.is_empty() {
                self.store.transact(deletes).await?;
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(()),
            }
        }
    }
}
