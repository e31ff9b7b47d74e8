"""Every HTTP client of a process shares one TLS context
(trusted_space/transport/tls.py): opening a transport no longer reads the
certificate bundle again."""

from __future__ import annotations

import ssl

import httpx
import pytest

from trusted_space.crypto import get_suite
from trusted_space.transport.http import HttpTransport
from trusted_space.transport.peer import PeerClient
from trusted_space.transport.tls import tls_context


def test_transports_reuse_the_process_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    context = tls_context()
    loads: list[object] = []
    real = ssl.SSLContext.load_verify_locations

    def counting(self: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loads.append(args)
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    suite = get_suite("default")
    key = suite.new_signing_key()
    clients = [HttpTransport("http://127.0.0.1:9", "key") for _ in range(3)]
    peer = PeerClient(
        suite, key, peer_name="b", url="http://127.0.0.1:9", peer_key=key.public_bytes()
    )
    try:
        assert loads == []  # no client read the bundle again
        assert tls_context() is context
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        # A client that builds its own context does read it: the count above could fail.
        httpx.Client().close()
        assert loads
    finally:
        for client in clients:
            client.close()
        peer.close()
