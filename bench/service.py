"""Single-applicant underwriting latency over HTTP, beside the same job embedded.

Starts a space and two provider nodes as separate processes on 127.0.0.1,
then runs ``--requests`` one-applicant jobs from ``--clients`` concurrent
insurers (each its own consumer participant and node folder), timing each
from submission to decrypted score. Beside it, the same one-applicant job run
sequentially on the embedded deployment.

The burst starts after one warm-up job per insurer, once the service and
the insurers are idle: each party then holds Paillier zeros computed ahead
for every insurer's key (``trusted_space.hazmat.paillier_noise``), each
provider its feature snapshot for the date (``connectors.node.snapshots``), and
each insurer, a long-running service as ``tspace node`` is, fresh PSI
clients made ahead (``trusted_space.hazmat.psi``) and encryptions of zero
under its own key (drawn by its owner's cheaper draw, for the blind
lookup's Enc(-r); ``trusted_space.nodes.runner.work_ahead``), as between
bursts in practice. A sustained load beyond those pools runs at the rate
bench/load.py reports.

    ours_s      p50 latency over HTTP
    baseline_s  p50 latency embedded (same job, same machine)
    ratio       baseline_s / ours_s (below 1: HTTP costs that much more)

``--engine blind`` times the blind lookup (engine 4) instead, under the
example policies (which require it): each insurer's warm-up job makes the
providers' epoch tokens and that insurer's masked uploads of the day, so the
burst runs with the day's uploads cached. Goal (issue 21): p50 under 250 ms.

Usage: python bench/service.py [--requests 200] [--clients 10] [--people 5000]
       [--engine direct|blind] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, machine
from connectors.applicants import read_applicants
from connectors.base import LoadOptions
from tests.policy_docs import dated_example
from tests.service.procs import Proc, add_steward, admin_key, free_port, wait_healthy
from trusted_space.crypto import get_suite
from trusted_space.demo import default_model_path
from trusted_space.embedded import EmbeddedDeployment
from trusted_space.hazmat import paillier_noise
from trusted_space.nodes.consumer import ConsumerNode
from trusted_space.nodes.runner import work_ahead
from trusted_space.synth import generate_health
from trusted_space.transport.http import HttpTransport

AS_OF = dt.date(2026, 10, 31)
PROVIDERS = {"hospital": ["hospital"], "cdc": ["cdc"]}


GOALS = {"direct": 0.150, "blind": 0.250}  # p50 over HTTP, seconds
ENGINE = {"name": "direct"}  # --engine
PROCS = ("space", "hospital", "cdc")
CPU: dict[str, float] = {}


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of a process and its waited-for children (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_idle(pids: list[int], timeout: float = 300.0) -> None:
    """Until the processes use under 5 % of a core over half a second."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = sum(cpu_seconds(pid) for pid in pids)
        time.sleep(0.5)
        if sum(cpu_seconds(pid) for pid in pids) - before < 0.025:
            return


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def policies(consumers: list[str]) -> list[bytes]:
    docs = []
    for name in ("hospital", "cdc"):
        # The direct lookup, as before issue 21 made the examples require the
        # blind one, unless --engine blind (which the examples require).
        lookup = "blind" if ENGINE["name"] == "blind" else "any"
        doc = dated_example(name, consumers=consumers, lookup=lookup)
        doc["limits"]["jobs_per_consumer_per_day"] = 100_000
        doc["limits"].pop("subjects_per_consumer_per_month", None)
        docs.append(yaml.safe_dump(doc).encode())
    return docs


def one_job(node: ConsumerNode, person_id: str, model: bytes) -> float:
    start = time.perf_counter()
    submit = node.submit_blind if ENGINE["name"] == "blind" else node.submit_lookup
    job = submit(
        "underwriting_score",
        [person_id],
        as_of=AS_OF,
        purpose="underwriting",
        providers=PROVIDERS,
        model_document=model,
        wait=2.0,
    )
    while not node.has_result(job):
        node.run_pending(wait=2.0)
    return time.perf_counter() - start


def start_service(
    root: Path, data: Path, names: list[str]
) -> tuple[list[Proc], list[ConsumerNode], bytes]:
    """The space and the hospital and CDC nodes as processes on 127.0.0.1, the
    model and policies published, and one connected consumer node per name
    (each its own participant, key and folder); returns once both providers
    offer their datasets. Callers stop the processes."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    keys = root / "keys"
    keys.mkdir()
    roles = [("hospital", "provider"), ("cdc", "provider")]
    key_files = {
        n: admin_key(root / "space", n, r, keys)
        for n, r in [*roles, *[(n, "consumer") for n in names]]
    }
    procs = [
        Proc(root / "space.log", "serve", "--workdir", str(root / "space"), "--port", str(port))
    ]
    try:
        wait_healthy(url)
        for provider, files in (
            ("hospital", ["hospital_visits.csv"]),
            ("cdc", ["cdc_case_reports.csv", "cdc_chronic_registry.csv"]),
        ):
            args = ["node", "--space", url, "--name", provider]
            args += ["--api-key-file", str(key_files[provider])]
            args += ["--workdir", str(root / "n" / provider)]
            for f in files:
                args += ["--data", str(data / f)]
            procs.append(Proc(root / f"{provider}.log", *args))
        # The steward, once both nodes registered their keys: appointed by both.
        probe = HttpTransport(url, key_files["hospital"].read_text().strip())
        while {k.name for k in probe.participants()} < {"hospital", "cdc"}:
            time.sleep(0.2)
        probe.close()
        nodes_dirs = {p: root / "n" / p for p in ("hospital", "cdc")}
        key_files["steward"] = add_steward(url, root / "space", keys, nodes_dirs)
        model = default_model_path().read_bytes()
        steward = HttpTransport(url, key_files["steward"].read_text().strip())
        steward.publish_model(model)
        for doc in policies(names):
            steward.publish_policy(doc)
        steward.close()
        suite = get_suite("default")
        nodes = []
        for n in names:
            t = HttpTransport(url, key_files[n].read_text().strip())
            t.connect()
            node = ConsumerNode(n, root / "clients" / n, t, suite)
            work_ahead(node)  # as a long-running consumer node (tspace node) does
            t.register_keys(node.public_keys())
            nodes.append(node)
        while not all(
            t for t in nodes[0].transport.product_providers("underwriting_score").values()
        ):
            time.sleep(0.2)
    except BaseException:
        for proc in procs:
            proc.stop()
        raise
    return procs, nodes, model


def http_latencies(
    root: Path, data: Path, requests: int, clients: int, ids: list[str]
) -> list[float]:
    names = [f"insurer-{i}" for i in range(clients)]
    procs, nodes, model = start_service(root, data, names)
    try:
        # Warm-up: each insurer's first job fetches setups and makes its key
        # known to every party, which then computes zeros ahead for it. The
        # burst starts once the service is idle, as a burst does in practice.
        for i, node in enumerate(nodes):
            one_job(node, ids[i % len(ids)], model)
        wait_idle([os.getpid(), *(p.proc.pid for p in procs)])
        latencies: list[float] = []
        lock = threading.Lock()
        per_client = requests // clients

        def work(i: int) -> None:
            for k in range(per_client):
                seconds = one_job(nodes[i], ids[(i * per_client + k) % len(ids)], model)
                with lock:
                    latencies.append(seconds)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
        before = {name: cpu_seconds(p.proc.pid) for name, p in zip(PROCS, procs, strict=True)}
        own = time.process_time()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        CPU.update(
            {
                name: cpu_seconds(p.proc.pid) - before[name]
                for name, p in zip(PROCS, procs, strict=True)
            }
        )
        CPU["clients"] = time.process_time() - own
        return latencies
    finally:
        for p in procs:
            p.stop()
        paillier_noise.AHEAD.stop()  # the embedded part after it draws its own, as a command does


def embedded_latencies(root: Path, data: Path, runs: int, ids: list[str]) -> list[float]:
    with EmbeddedDeployment(root / "embedded") as dep:
        hospital, cdc = dep.provider("hospital"), dep.provider("cdc")
        hospital.load("csv", [data / "hospital_visits.csv"], LoadOptions(replace=True))
        cdc.load(
            "csv",
            [data / "cdc_case_reports.csv", data / "cdc_chronic_registry.csv"],
            LoadOptions(replace=True),
        )
        hospital.offer_datasets()
        cdc.offer_datasets()
        insurer = dep.consumer("insurer")
        model = default_model_path().read_bytes()
        out = []
        for k in range(runs + 1):
            start = time.perf_counter()
            submit = insurer.submit_blind if ENGINE["name"] == "blind" else insurer.submit_lookup
            job = submit(
                "underwriting_score",
                [ids[k % len(ids)]],
                as_of=AS_OF,
                purpose="underwriting",
                providers=PROVIDERS,
                model_document=model,
            )
            dep.run_job(insurer, job)
            if k:
                out.append(time.perf_counter() - start)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--engine", choices=sorted(GOALS), default="direct")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    ENGINE["name"] = args.engine
    with tempfile.TemporaryDirectory(prefix="tspace-bench-service-") as tmp:
        root = Path(tmp)
        data = root / "data"
        generate_health(args.people, 7, data, applicants=200, end_date=AS_OF)
        ids = [a.person_id for a in read_applicants(data / "applicants.csv") if a.person_id]
        # HTTP first: the embedded run builds a Paillier table in this process
        # (in the background, after 80 uses), which would share the cores.
        http = http_latencies(root, data, args.requests, args.clients, ids)
        embedded = embedded_latencies(root, data, 50, ids)
    emit(
        {
            "n": len(http),
            "engine": args.engine,
            "clients": args.clients,
            "ours_s": statistics.median(http),
            "baseline_s": statistics.median(embedded),
            "ratio": statistics.median(embedded) / statistics.median(http),
            "http_p50_s": percentile(http, 0.5),
            "http_p99_s": percentile(http, 0.99),
            "embedded_p50_s": percentile(embedded, 0.5),
            "embedded_p99_s": percentile(embedded, 0.99),
            "goal_p50_s": GOALS[args.engine],
            "load_average_end": [round(x, 2) for x in os.getloadavg()],
            "cpu_s_during_http_run": {k: round(v, 2) for k, v in CPU.items()},
            "machine": machine(),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
