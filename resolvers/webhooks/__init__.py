"""The webhooks domain's resolvers."""
