"""Billing: conventions, échéances, factures (see the facturation issue)."""
