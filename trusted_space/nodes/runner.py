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


def work_ahead(node: Node) -> None:
    """What a long-lived node computes in its idle time: Paillier zeros for
    the keys it encrypts under (a consumer's own key from the start, drawn by
    its owner's cheaper draw: the blind lookup's Enc(-r)) and, for a
    consumer, fresh PSI clients."""
    compute_zeros_ahead()
    if isinstance(node, ConsumerNode):
        node.psi_ahead.start()
        node.paillier_private.zeros(0)  # marks its own key in use: its pool fills


def serve_node(node: Node, *, stop: threading.Event | None = None, wait: float = 20.0) -> None:
    stop = stop or threading.Event()
    work_ahead(node)  # a long-lived node has idle time to spare
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
