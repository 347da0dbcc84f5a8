"""Migrations of the webhooks app (outbound webhook endpoints and their event outbox)."""
