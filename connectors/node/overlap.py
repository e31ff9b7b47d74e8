"""A provider's steps of an overlap count (PSI cardinality between two nodes).

The client (the product's second role) blinds its subjects under a fresh
one-job key, keeps that key in its own folder until the server has
answered, then counts the shared subjects and encrypts the count under the
requester's Paillier key. The server (the first role) makes a setup of its
subjects under a fresh one-job key and answers the client's request; its
key never leaves the process. Neither learns which subjects are shared:
the client learns how many (and the server's set size), the server the
client's set size. The space relays what it cannot read; each side checks
the other's signature on what it relays (connectors/node/task_checks.py).
"""

from __future__ import annotations

from pathlib import Path

from connectors.node_store import NodeStore
from trusted_space.bulk.parallel import encrypt_values
from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import Text
from trusted_space.crypto.keyfiles import write_secret
from trusted_space.hazmat import psi
from trusted_space.hazmat.paillier import PaillierPublicKey
from trusted_space.protocol.messages import (
    OverlapCountResult,
    OverlapFinishTask,
    OverlapRequestResult,
    OverlapRequestTask,
    OverlapRespondTask,
    OverlapResponseResult,
)


class OverlapSides:
    def __init__(self, node_dir: Path, store: NodeStore, min_paillier_bits: int) -> None:
        self.dir = Path(node_dir) / "overlap"
        self.store = store
        self.min_paillier_bits = min_paillier_bits

    def _key_path(self, job_id: str) -> Path:
        return self.dir / f"{job_id}.psi-client.key"

    def _subjects(self, dataset: str, version: int) -> list[str]:
        current = self.store.datasets().get(dataset)
        if current is None or current[0] != version:
            raise ProtocolError(
                Text("err.nodes.provider.stale_dataset", dataset=dataset, version=version)
            )
        return self.store.subject_ids(dataset)

    def request(self, job_id: str, t: OverlapRequestTask) -> OverlapRequestResult:
        """The client's blinded subjects; its key kept for ``finish``."""
        ids = self._subjects(t.dataset, t.version)
        if not ids:
            raise ProtocolError(Text("err.nodes.provider.empty_dataset", dataset=t.dataset))
        client = psi.PsiClient(reveal_intersection=False)
        request = client.create_request(ids)
        write_secret(self._key_path(job_id), client.export_secret())
        return OverlapRequestResult(psi_request=request)

    def respond(self, t: OverlapRespondTask) -> OverlapResponseResult:
        """A one-job setup of the server's subjects and its answer to the request."""
        ids = self._subjects(t.dataset, t.version)
        if not ids:
            raise ProtocolError(Text("err.nodes.provider.empty_dataset", dataset=t.dataset))
        if psi.request_size(t.psi_request) != t.max_items:
            raise ProtocolError(Text("err.nodes.provider.psi_size"))
        server = psi.PsiServerKey.generate(reveal_intersection=False)
        setup = server.create_setup(ids, max_client_items=t.max_items)
        response = server.process_request(t.psi_request, t.max_items)
        return OverlapResponseResult(psi_setup=setup, psi_response=response)

    def finish(self, job_id: str, t: OverlapFinishTask) -> OverlapCountResult:
        """The count, encrypted under the requester's key; the job key is dropped."""
        path = self._key_path(job_id)
        if not path.exists():
            raise ProtocolError(Text("err.nodes.provider.psi_key_lost"))
        client = psi.PsiClient(reveal_intersection=False, secret=path.read_bytes())
        count = client.intersection_size(t.psi_setup, t.psi_response)
        pk = PaillierPublicKey.from_wire(t.paillier_public_key, min_bits=self.min_paillier_bits)
        ciphertext = pk.pack(encrypt_values(pk, [count]))
        path.unlink(missing_ok=True)
        return OverlapCountResult(ciphertext=ciphertext)
