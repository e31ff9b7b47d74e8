"""uvicorn's own lines about the server's life (started, running on,
shutting down), said in the process's language like tspace's own log lines
(``trusted_space.core.log_text``, keys ``log.server.*``).

A filter on uvicorn's logger: each line it knows, by its format string, is
said from the catalog with its arguments; any other line passes unchanged.
"""

from __future__ import annotations

import logging

from trusted_space.core.i18n import logged

# uvicorn's format string -> (catalog key, names of its arguments in order)
LINES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Started server process [%d]": ("log.server.started", ("pid",)),
    "Finished server process [%d]": ("log.server.finished", ("pid",)),
    "Waiting for application startup.": ("log.server.startup_waiting", ()),
    "Application startup complete.": ("log.server.startup_done", ()),
    "Shutting down": ("log.server.stopping", ()),
    "Waiting for application shutdown.": ("log.server.shutdown_waiting", ()),
    "Application shutdown complete.": ("log.server.shutdown_done", ()),
}
RUNNING = {  # the address's format: IPv4 or a name, and IPv6
    "Uvicorn running on %s://%s:%d (Press CTRL+C to quit)": "{}://{}:{}",
    "Uvicorn running on %s://[%s]:%d (Press CTRL+C to quit)": "{}://[{}]:{}",
}


class ServerWords(logging.Filter):
    """Says uvicorn's lines it knows in the process's language."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg
        if not isinstance(msg, str):
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        if msg in RUNNING and len(args) == 3:
            said = logged("log.server.running", url=RUNNING[msg].format(*args))
        elif msg in LINES and len(args) == len(LINES[msg][1]):
            key, names = LINES[msg]
            said = logged(key, **dict(zip(names, args, strict=True)))
        else:
            return True
        record.msg, record.args = said, ()
        record.__dict__.pop("color_message", None)  # a terminal's coloured English copy
        return True


def install() -> None:
    """Put the filter on uvicorn's logger (after uvicorn configured its logging)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, ServerWords) for f in logger.filters):
        logger.addFilter(ServerWords())
