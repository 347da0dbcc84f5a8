"""The webhooks domain's GraphQL types, operations and payload rendering."""
