"""Retail Performer AI integrations service: app shell, settings, database bootstrap and CLI."""
