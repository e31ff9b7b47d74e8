"""Errors of the trusted space: its engines, jobs and protocol checks
(``err.space.*``)."""

SPACE: dict[str, dict[str, str]] = {}
