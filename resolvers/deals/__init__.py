"""Resolvers of the deals domain. Deals, conversions to paid subscriptions and commissions."""
