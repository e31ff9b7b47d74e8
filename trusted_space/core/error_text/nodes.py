"""Errors of the parties' nodes and what carries their messages: the
provider's node, the consumer's node, transport, service and bulk work
(``err.nodes.*``)."""

NODES: dict[str, dict[str, str]] = {}
