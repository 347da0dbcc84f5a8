"""What every domain's resolvers share: the request context, DataLoaders, permission classes."""
