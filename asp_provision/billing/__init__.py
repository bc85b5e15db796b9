"""Billing: pricing rules, proration, usage overage and invoices, all in exact money."""
