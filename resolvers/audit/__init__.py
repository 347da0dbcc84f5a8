"""Audit log resolvers."""
