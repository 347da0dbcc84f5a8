"""Services of the renewals domain. Renewal ownership and renewal notices."""
