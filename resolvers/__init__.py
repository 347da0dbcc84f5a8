"""Thin functions that turn a GraphQL call into a service call, and the permission checks."""
