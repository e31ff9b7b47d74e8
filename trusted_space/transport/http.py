"""The HTTP transport: a node's or client's view of a space across the network.

Every call is safe to repeat (job submission is idempotent per job id, a
task result per task), so a call that meets a refused connection, a timeout
or a 5xx is retried with exponential backoff and jitter until ``patience``
runs out: a node waits out a restarting space instead of failing its job.
Errors the space reports on purpose come back as the same exception classes
the embedded transport raises.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from trusted_space.core.errors import (
    Conflict,
    InputError,
    NotAuthorised,
    NotFound,
    PayloadTooLarge,
    ProtocolError,
    TspaceError,
    Unauthenticated,
    localised_error,
)
from trusted_space.core.i18n import OnlyInEnglish, Text, language, logged
from trusted_space.protocol.messages import (
    DatasetOffer,
    JobResult,
    JobStatus,
    JobSubmission,
    JobSubmitted,
    LookupEngineChoice,
    ParticipantKeys,
    PolicyStatus,
    TaskExchange,
    TaskExchangeReply,
    TaskResult,
)
from trusted_space.transport.tls import tls_context

log = logging.getLogger("tspace.http")

T = TypeVar("T")
_KEYS = TypeAdapter(list[ParticipantKeys])

ERRORS: dict[int, type[TspaceError]] = {
    401: Unauthenticated,
    403: NotAuthorised,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: ProtocolError,
}


# The service's default body limit (ServiceSettings.max_body_bytes).
DEFAULT_BODY_BYTES = 64 * 1024 * 1024


class SpaceUnavailable(TspaceError):
    """The space did not answer within the client's patience."""


def read_api_key(path: Path) -> str:
    try:
        key = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InputError(
            Text(
                "err.nodes.transport.api_key_unreadable",
                path=path,
                reason=OnlyInEnglish(f": {exc}"),
            )
        ) from None
    if not key:
        raise InputError(Text("err.nodes.transport.no_api_key", path=path))
    return key


class HttpTransport:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        patience: float = 300.0,
        timeout: float = 60.0,
        on_retry: Callable[[str, float, float], None] | None = None,
    ) -> None:
        """``on_retry(failure, delay, seconds_left)`` is told of each retry
        (default: a log line, as ``tspace node`` shows)."""
        self.base_url = base_url.rstrip("/")
        self.patience = patience
        self.on_retry = on_retry
        self._client = httpx.Client(
            headers={
                "Authorization": f"Bearer {api_key}",
                "content-type": "application/json",
                # The space says its refusals in this process's language.
                "Accept-Language": language(),
            },
            timeout=httpx.Timeout(timeout, connect=5.0),
            verify=tls_context(),
        )
        # Absolute URLs, parsed once per path and query: httpx otherwise
        # parses and merges each request's URL anew (~0.1 ms a request).
        self._urls: dict[tuple[str, tuple[tuple[str, object], ...]], httpx.URL] = {}
        self.name = ""
        self.sent: list[str] = []
        # The service's request body limit (its default until connect() reads
        # it): a result larger than that goes in parts.
        self.part_bytes: int | None = DEFAULT_BODY_BYTES

    def close(self) -> None:
        self._client.close()

    def connect(self) -> dict[str, str]:
        """Authenticate and learn who this key belongs to (and the service's
        body limit, which sizes the parts of large results)."""
        me = self.whoami()
        self.name = me["name"]
        limit = me.get("max_body_bytes")
        if limit is not None:
            self.part_bytes = int(limit)
        return me

    # -- plumbing ---------------------------------------------------------------------
    def _url(self, path: str, params: dict[str, object] | None) -> httpx.URL:
        key = (path, tuple((params or {}).items()))
        url = self._urls.get(key)
        if url is None:
            url = httpx.URL(self.base_url + path, params=params)
            if len(self._urls) >= 256:
                self._urls.clear()
            self._urls[key] = url
        return url

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, object] | None = None,
        read_timeout: float | None = None,
        **kw: Any,
    ) -> httpx.Response:
        deadline = time.monotonic() + self.patience
        delay = 0.2
        url = self._url(path, params)
        while True:
            try:
                if read_timeout is not None:
                    kw["timeout"] = httpx.Timeout(read_timeout + 30, connect=5.0)
                response = self._client.request(method, url, **kw)
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                failure = type(exc).__name__
            else:
                if response.status_code < 500:
                    return _checked(response)
                failure = f"HTTP {response.status_code}"
            if time.monotonic() + delay > deadline:
                raise SpaceUnavailable(
                    Text(
                        "err.nodes.transport.unavailable",
                        url=self.base_url,
                        failure=failure,
                        seconds=f"{self.patience:.0f}",
                    )
                )
            if self.on_retry is not None:
                self.on_retry(failure, delay, deadline - time.monotonic())
            else:
                said = logged("log.node.retrying", failure=failure, seconds=f"{delay:.1f}")
                log.info("%s", said)
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 10.0)

    def _json(self, method: str, path: str, parse: Callable[[bytes], T], **kw: Any) -> T:
        """The response body, parsed and validated in one step by ``parse``."""
        return parse(self._request(method, path, **kw).content)

    def _poll(
        self, path: str, parse: Callable[[bytes], T], message: BaseModel, limit: int, wait: float
    ) -> T:
        """POST ``message`` to a route that also leases up to ``limit`` of this
        party's tasks, waiting up to ``wait`` seconds for one."""
        return self._json(
            "POST",
            path,
            parse,
            params={"wait": wait, "limit": limit},
            read_timeout=wait,
            **self._body(message),
        )

    @staticmethod
    def _body(message: BaseModel) -> dict[str, Any]:
        return {"content": message.model_dump_json()}  # JSON: the client's content-type

    # -- the SpaceAPI -----------------------------------------------------------------------
    def whoami(self) -> dict[str, str]:
        data: dict[str, str] = self._request("GET", "/v1/participants/me").json()
        return data

    def register_keys(self, keys: ParticipantKeys) -> None:
        self._request("PUT", "/v1/participants/me/keys", **self._body(keys))

    def participants(self) -> list[ParticipantKeys]:
        return self._json("GET", "/v1/participants/keys", _KEYS.validate_json)

    def offer_dataset(self, offer: DatasetOffer) -> None:
        self.sent.append("dataset_offer")
        self._request("POST", "/v1/datasets", **self._body(offer))

    def dataset_setup(self, provider: str, dataset: str, version: int) -> bytes:
        return self._request("GET", f"/v1/datasets/{provider}/{dataset}/{version}/setup").content

    def product_providers(self, product: str) -> dict[str, list[str]]:
        data: dict[str, list[str]] = self._request(
            "GET", f"/v1/products/{product}/providers"
        ).json()
        return data

    def lookup_engine(self, product: str, providers: dict[str, list[str]]) -> LookupEngineChoice:
        given = ";".join(f"{role}={','.join(names)}" for role, names in sorted(providers.items()))
        return self._json(
            "GET",
            f"/v1/products/{product}/engine",
            LookupEngineChoice.model_validate_json,
            params={"providers": given},
        )

    def submit_job(
        self, submission: JobSubmission, limit: int = 8, wait: float = 0.0
    ) -> JobSubmitted:
        self.sent.append("job_submission")
        return self._poll("/v1/jobs", JobSubmitted.model_validate_json, submission, limit, wait)

    def exchange(
        self, results: list[TaskResult], limit: int = 8, wait: float = 0.0
    ) -> TaskExchangeReply:
        self.sent.extend(r.payload.kind for r in results)
        return self._poll(
            "/v1/tasks/exchange",
            TaskExchangeReply.model_validate_json,
            TaskExchange(results=results),
            limit,
            wait,
        )

    def put_part(self, task_id: str, data: bytes) -> str:
        self.sent.append("part")
        reply = self._request(
            "PUT",
            f"/v1/tasks/{task_id}/parts",
            content=data,
            headers={"content-type": "application/octet-stream"},
        ).json()
        return str(reply["digest"])

    def report_failure(self, task_id: str, reason: str) -> None:
        self.sent.append("failure")
        self._request("POST", f"/v1/tasks/{task_id}/failure", json={"reason": reason[:2000]})

    def job_status(self, job_id: str) -> JobStatus:
        return self._json("GET", f"/v1/jobs/{job_id}", JobStatus.model_validate_json)

    def job_result(self, job_id: str) -> JobResult:
        return self._json("GET", f"/v1/jobs/{job_id}/result", JobResult.model_validate_json)

    def publish_policy(self, document: bytes) -> PolicyStatus:
        self.sent.append("policy")
        data = self._request(
            "POST",
            "/v1/policies",
            content=document,
            headers={"content-type": "application/octet-stream"},
        ).json()
        return _policy_status(data)

    def approve_policy(self, policy_id: str, version: int) -> PolicyStatus:
        self.sent.append("policy_approval")
        data = self._request("POST", f"/v1/policies/{policy_id}/{version}/approval").json()
        return _policy_status(data)

    def retire_policy(self, policy_id: str) -> None:
        self.sent.append("policy_retirement")
        self._request("DELETE", f"/v1/policies/{policy_id}")

    def publish_model(self, document: bytes) -> str:
        self.sent.append("model")
        data = self._request(
            "POST",
            "/v1/models",
            content=document,
            headers={"content-type": "application/octet-stream"},
        ).json()
        return str(data["sha256"])

    def approved_model(self, product: str) -> bytes:
        return self._request("GET", f"/v1/products/{product}/model").content

    def approve_agreement(self, terms: bytes) -> tuple[str, list[str]]:
        """A steward's approval of a peering agreement (its file's bytes):
        the agreement's hash and every steward of the space that approved it."""
        self.sent.append("peering_approval")
        data = self._request(
            "POST",
            "/v1/peering/approvals",
            content=terms,
            headers={"content-type": "application/json"},
        ).json()
        return str(data["agreement"]), [str(s) for s in data["approved_by"]]


def _policy_status(data: dict[str, Any]) -> PolicyStatus:
    return PolicyStatus.model_validate(
        {k: data[k] for k in ("id", "version", "content_hash", "state", "approvals") if k in data}
    )


def _checked(response: httpx.Response) -> httpx.Response:
    if response.status_code < 400:
        return response
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = str(body.get("detail", ""))
    else:
        body, detail = {}, response.text[:200]
    # A refusal the space says in words: said again here, in this process's language.
    refused = localised_error(body.get("code"), body.get("key"), body.get("params"))
    if refused is not None:
        raise refused
    error = ERRORS.get(response.status_code, ProtocolError)
    raise error(detail or f"HTTP {response.status_code}")
