"""Resolvers of the email domain. Email delivery: outbox, sender, tracking, suppression, mailbox."""
