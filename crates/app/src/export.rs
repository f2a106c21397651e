//! Exporting debtors, invoices and payments as CSV files that import back unchanged.

use arflow_core::party::Debtor;
use arflow_formats::csv as csvfmt;
use arflow_store::{DebtorFilter, InvoiceFilter, Page, PaymentFilter};

use crate::{App, AppError};

/// Rows read per query while exporting.
const EXPORT_PAGE_ROWS: u32 = 1000;

impl App {
    /// Writes every debtor of the organisation as CSV; returns the number of rows.
    ///
    /// # Errors
    /// Organisation, store and I/O errors.
    pub async fn export_debtors(
        &self,
        org_slug: Option<&str>,
        out: impl std::io::Write,
    ) -> Result<u64, AppError> {
        let mut tx = self.store.begin_read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let mut all: Vec<Debtor> = Vec::new();
        let mut page = Page::first(EXPORT_PAGE_ROWS);
        loop {
            let rows = tx.list_debtors(org.id, &DebtorFilter::default(), page).await?;
            let Some(last) = rows.last() else { break };
            page = Page::after(last.id.0, EXPORT_PAGE_ROWS);
            all.extend(rows.into_iter().map(|d| d.debtor));
        }
        tx.rollback().await?;
        csvfmt::write_debtors(out, &all).map_err(io_error)?;
        Ok(all.len() as u64)
    }

    /// Writes every invoice and credit note as CSV; returns the number of rows.
    ///
    /// # Errors
    /// Organisation, store and I/O errors.
    pub async fn export_invoices(
        &self,
        org_slug: Option<&str>,
        out: impl std::io::Write,
    ) -> Result<u64, AppError> {
        let mut tx = self.store.begin_read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let mut all = Vec::new();
        let mut page = Page::first(EXPORT_PAGE_ROWS);
        loop {
            let rows = tx.list_invoices(org.id, &InvoiceFilter::default(), page).await?;
            let Some(last) = rows.last() else { break };
            page = Page::after(last.id.0, EXPORT_PAGE_ROWS);
            all.extend(rows.into_iter().map(|i| i.invoice));
        }
        tx.rollback().await?;
        csvfmt::write_invoices(out, &all).map_err(io_error)?;
        Ok(all.len() as u64)
    }

    /// Writes every payment as CSV; returns the number of rows.
    ///
    /// # Errors
    /// Organisation, store and I/O errors.
    pub async fn export_payments(
        &self,
        org_slug: Option<&str>,
        out: impl std::io::Write,
    ) -> Result<u64, AppError> {
        let mut tx = self.store.begin_read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let mut all = Vec::new();
        let mut page = Page::first(EXPORT_PAGE_ROWS);
        loop {
            let rows = tx.list_payments(org.id, &PaymentFilter::default(), page).await?;
            let Some(last) = rows.last() else { break };
            page = Page::after(last.id.0, EXPORT_PAGE_ROWS);
            all.extend(rows.into_iter().map(|p| p.payment));
        }
        tx.rollback().await?;
        csvfmt::write_payments(out, &all).map_err(io_error)?;
        Ok(all.len() as u64)
    }
}

fn io_error(e: std::io::Error) -> AppError {
    AppError::Invalid { field: None, message: format!("cannot write the export: {e}") }
}
