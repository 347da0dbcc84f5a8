"""GraphQL schema of the partners domain. Partner organisations and partner groups."""
