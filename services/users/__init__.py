"""Services of the users domain. Portal users, login sessions and external sales reps."""
