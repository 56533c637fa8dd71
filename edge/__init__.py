"""The edge: the one request context, and the middlewares that read it before the transports."""
