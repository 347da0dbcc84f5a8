"""Resolvers of the partners domain. Partner organisations and partner groups."""
