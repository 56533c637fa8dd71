"""The settings every test server starts from: a database of its own, a known JWT secret, and
background jobs slow enough that a test flushes them itself."""

from typing import Any

from pydantic import SecretStr

from rpai.settings import Settings

TEST_JWT_SECRET = "test-secret-for-jwt-signing-0123456789abcdef"


def settings_for(mongodb_url: str, **overrides: Any) -> Settings:
    """Test settings on the database at `mongodb_url`, with `overrides` on top."""
    return Settings(
        mongodb_url=mongodb_url,
        db_timeout_seconds=3,
        jwt_secret=SecretStr(TEST_JWT_SECRET),
        key_usage_flush_seconds=3600,
        rate_limit_sync_seconds=3600,
        audit_flush_seconds=3600,
        webhook_poll_seconds=3600,
        kpi_fold_seconds=3600,  # tests fold when they mean to (tests/support/kpi_history.py)
        import_poll_seconds=3600,  # the imports' tests set their own
        import_share=1.0,
        # Tests run many queries as one caller in a moment: the query-cost tests set their own.
        graphql_cost_restore_rate=1_000_000,
        **overrides,
    )
