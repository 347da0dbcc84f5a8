"""What every domain's schema shares: typed errors, pagination, limits, extensions."""
