"""GraphQL schema of the vendor domain. The vendor's installation-wide settings."""
