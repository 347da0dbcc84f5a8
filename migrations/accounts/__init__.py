"""Migrations of the accounts app: customer overview, deals, commissions, renewals."""
