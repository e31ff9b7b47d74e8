"""One TLS context for every HTTP client of a process.

An ``httpx.Client`` builds its own ``ssl.SSLContext`` unless given one, and
building it reads the whole certificate bundle: 20 ms on an idle machine,
200 ms on a busy one, for every transport a node, a client command or a
space's peer calls open, although most talk plain HTTP on loopback and
never use it. The context is built once, on first use, from the same
settings httpx uses (certifi's bundle, or ``SSL_CERT_FILE`` /
``SSL_CERT_DIR`` when set), and shared: an ``SSLContext`` may wrap sockets
from several threads.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
