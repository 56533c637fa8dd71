"""Business rules as plain async functions, one module per domain; transports call these."""
