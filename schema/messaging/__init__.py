"""GraphQL schema of the messaging domain. To-partner communications: email and pop-up messages."""
