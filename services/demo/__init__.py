"""Services of the demo domain. The demo data set, loaded through the domains' services."""
