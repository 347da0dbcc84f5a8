"""GraphQL schema of the customers domain. The customer accounts partners bring: overview,
activity, attention items, act-as.
"""
