"""What every domain's services share: database, errors, pagination, validation, pub/sub, the
caller, the worker.
"""
