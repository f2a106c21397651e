//! The organisation's payment plans across its debtors, for staff lists (`arflow plan list`):
//! every plan or those in one state, each as [`App::plan_view`] shows it.

use arflow_core::id::OrganisationId;
use arflow_store::{Page, PlanState};

use crate::plans::PlanView;
use crate::{App, AppError};

/// Every state a plan can be in, in the order of its life.
pub const PLAN_STATES: [PlanState; 6] = [
    PlanState::Proposed,
    PlanState::Active,
    PlanState::Completed,
    PlanState::Broken,
    PlanState::Rejected,
    PlanState::Cancelled,
];

impl App {
    /// The organisation's plans in `state` (every state with `None`), by id, one page: the
    /// plans with an id after `page.after`, at most `page.limit` of them.
    ///
    /// # Errors
    /// Store errors.
    pub async fn list_plans(
        &self,
        org: OrganisationId,
        state: Option<PlanState>,
        page: Page,
    ) -> Result<Vec<PlanView>, AppError> {
        let states: Vec<PlanState> = state.map_or_else(|| PLAN_STATES.to_vec(), |s| vec![s]);
        let mut tx = self.store.begin_read().await?;
        let mut ids = Vec::new();
        for s in states {
            ids.extend(tx.payment_plans_in_state(org, s).await?.into_iter().map(|p| p.id));
        }
        tx.rollback().await?;
        ids.retain(|id| page.after.is_none_or(|after| *id > after));
        ids.sort_unstable();
        ids.truncate(usize::try_from(page.limit).unwrap_or(usize::MAX));
        // Each plan as one view reads it (its debtor's number, the rules, what is open today).
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.plan_view(org, id).await?);
        }
        Ok(out)
    }
}
