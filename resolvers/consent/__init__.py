"""Resolvers of the consent domain. Customer-approved lead registration and the consent ledger."""
