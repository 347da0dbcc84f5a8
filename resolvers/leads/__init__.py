"""Resolvers of the leads domain. Leads: a partner's own leads, auto-registration rules,
distribution by the vendor.
"""
