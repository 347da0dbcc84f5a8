"""Outbound webhooks: endpoints, the event outbox, signed delivery, the delivery log."""
