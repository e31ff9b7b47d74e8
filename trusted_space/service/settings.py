"""Service settings, from ``TSPACE_*`` environment variables or arguments.

There is no shared secret with a default value to forget: every participant
has its own API key, issued by the operator and stored hashed.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TSPACE_", extra="forbid")

    workdir: Path
    suite: str = "default"
    max_body_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    max_batch: int = Field(default=100_000, ge=1)
    # The most bytes the parts of one task's result may add up to.
    max_result_bytes: int = Field(default=8 * 1024**3, ge=1024)
    long_poll_seconds: float = Field(default=20.0, ge=0, le=60)
    lease_seconds: float = Field(default=120.0, gt=0)
    job_timeout_seconds: float = Field(default=6 * 3600.0, gt=0)
    # A cap on the database's size, in SQLite pages (4 KiB); past it a write
    # fails as on a full disk: the transaction rolls back, nothing is lost.
    sqlite_max_pages: int | None = Field(default=None, ge=1)
    require_policy: bool = True
    # A job's part at a peer space waits this long for an unanswering peer
    # before the job fails (peer_unavailable); one call waits at most
    # peer_timeout_seconds.
    peer_patience_seconds: float = Field(default=300.0, gt=0)
    peer_timeout_seconds: float = Field(default=10.0, gt=0)
    # The console's cookies are Secure (sent over HTTPS only, as behind a TLS
    # proxy that speaks plain HTTP to the space); True only for plain local use.
    console_insecure_cookie: bool = False
