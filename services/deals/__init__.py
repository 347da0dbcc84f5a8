"""Services of the deals domain. Deals, conversions to paid subscriptions and commissions, and
deal registrations.

Importing the package registers the listeners of registration changes (notification emails, live
pushes), so every process that can change a registration runs them: see
services/deals/registration_listeners.py.
"""

from services.deals import registration_live, registration_notify  # noqa: F401
