"""A usage counter for policy tests (``policies.constraints.UsageCounter``):
fixed counts, and a record of every question it was asked."""

from __future__ import annotations

import datetime as dt


class FakeUsage:
    def __init__(self, jobs: int = 0, subjects: int = 0, epsilon: float = 0.0) -> None:
        self._jobs, self._subjects, self._epsilon = jobs, subjects, epsilon
        # (what, consumer, product, since) for each question, in order
        self.asked: list[tuple[str, str, str, dt.datetime]] = []

    def jobs(self, consumer: str, product: str, since: dt.datetime) -> int:
        self.asked.append(("jobs", consumer, product, since))
        return self._jobs

    def subjects(self, consumer: str, product: str, since: dt.datetime) -> int:
        self.asked.append(("subjects", consumer, product, since))
        return self._subjects

    def epsilon(self, consumer: str, product: str, since: dt.datetime) -> float:
        self.asked.append(("epsilon", consumer, product, since))
        return self._epsilon
