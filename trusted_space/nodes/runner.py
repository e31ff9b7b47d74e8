"""Run a node as a long-lived process: register, offer, then pull work forever.

The node only makes outbound requests (long-polls with backoff and jitter in
the transport), so a hospital's firewall needs no inbound rule. It survives
a restarting space: the transport waits it out and leases bring back any
task that was in flight.
"""

from __future__ import annotations

import logging
import random
import threading
import time

from connectors.node.provider import ProviderNode
from trusted_space.core.i18n import logged
from trusted_space.hazmat.paillier_noise import compute_zeros_ahead
from trusted_space.nodes.base import Node
from trusted_space.nodes.consumer import ConsumerNode

log = logging.getLogger("tspace.node")


def serve_node(node: Node, *, stop: threading.Event | None = None, wait: float = 20.0) -> None:
    stop = stop or threading.Event()
    compute_zeros_ahead()  # a long-lived node has idle time to spare
    if isinstance(node, ConsumerNode):
        node.psi_ahead.start()
    node.transport.register_keys(node.public_keys())
    if isinstance(node, ProviderNode):
        offers = node.offer_datasets()
        log.info("%s", logged("log.node.offers", name=node.name, n=len(offers)))
    log.info("%s", logged("log.node.pulling", name=node.name))
    pause = 0.5
    while not stop.is_set():
        try:
            node.run_pending(wait=wait, linger=True)
            pause = 0.5
        except Exception as exc:  # a node keeps serving, whatever one round met
            # A task's own failure is reported by the node (Node._run_task);
            # what reaches here is the exchange itself (a space away, a reply
            # it could not read). Its type only: its text may quote a value.
            log.warning(
                "%s",
                logged(
                    "log.node.pausing",
                    name=node.name,
                    kind=type(exc).__name__,
                    seconds=f"{pause:.1f}",
                ),
            )
            stop.wait(pause * (0.5 + random.random()))
            pause = min(pause * 2, 30.0)
        time.sleep(0)
