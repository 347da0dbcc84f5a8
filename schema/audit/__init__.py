"""Audit log GraphQL surface: the entries query and the extension recording every mutation."""
