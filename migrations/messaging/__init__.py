"""Migrations of the messaging app (to-partner communications)."""
