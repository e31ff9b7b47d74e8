"""``tspace`` run inside the test process, for the set-up steps of tests
whose subject is something else (adding participants, appointing a
steward, publishing a policy, peering two spaces).

A ``tspace`` process spends 0.3-1.5 s of CPU importing before it does
anything; a deployment's set-up runs five to ten such commands, and the
suite runs hundreds of deployments. In process, the imports are paid once
per test worker. The command line is the same typer application the
``tspace`` script runs (``trusted_space.cli.app``, its language given
with ``--lang`` as a user would): parsing, ``--help``, errors
and exit codes are the real ones. What it does not exercise is the process
boundary; the tests of the command line itself (tests/e2e/test_cli*.py, the
docs blocks, the clients the service tests start) still start processes.
"""

from __future__ import annotations

import os
import subprocess
import threading
import traceback

from typer.testing import CliRunner

from trusted_space.cli import app
from trusted_space.cli.common import console, err_console
from trusted_space.core import i18n

_one_at_a_time = threading.Lock()  # CliRunner swaps the process's stdio and environment


def run_tspace(
    *args: str, env: dict[str, str] | None = None, lang: str = "en"
) -> subprocess.CompletedProcess[str]:
    """Run ``tspace ARGS`` in this process, in ``lang`` (the suite's
    English unless a test chooses), with ``env`` added to the environment;
    the result as ``subprocess.run(..., capture_output=True, text=True)``
    would give it. An exception a command lets escape is a failure (exit 1)
    with its traceback in ``stderr``, as the ``tspace`` script would print it."""
    extra = {"TSPACE_LANG": lang, **(env or {})}
    with _one_at_a_time:
        before = i18n.language()
        i18n.set_language(extra["TSPACE_LANG"])
        # A console reads COLUMNS when it is made (at import, in this process
        # long ago) unless the variable was unset then: set its width as a new
        # process's console would take it.
        widths = [(c, c._width) for c in (console, err_console)]
        for c, _ in widths:
            c.width = int(extra.get("COLUMNS", os.environ.get("COLUMNS", "80")))
        try:
            words = list(args) if "--lang" in args else ["--lang", lang, *args]
            result = CliRunner().invoke(app, words, env=extra, prog_name="tspace")
        finally:
            i18n.set_language(before)
            for c, width in widths:
                c._width = width
    stderr = result.stderr
    code = result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
        code = code or 1
    return subprocess.CompletedProcess(["tspace", *args], code, result.stdout, stderr)


def run_tspace_wide(*args: str) -> subprocess.CompletedProcess[str]:
    """``run_tspace`` as a 250-column terminal shows it (tables unwrapped)."""
    return run_tspace(*args, env={"COLUMNS": "250"})
