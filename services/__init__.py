"""Domain logic: plain async functions, no GraphQL. Used by resolvers, the worker and the CLI."""
