"""Pydantic models of every protocol message.

Each model says who sends it and what the space can read of it. Handles are
16 random bytes made fresh per job by the consumer; ciphertext blocks are
fixed-width big-endian integers (the byte length of n^2 each), concatenated.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from trusted_space.core.canonical_json import canonical_json
from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import Text
from trusted_space.crypto import CryptoSuite

HANDLE_BYTES = 16
TOKEN_BYTES = 32


def _from_wire(value: object) -> object:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise ValueError("not valid base64") from exc
    return value


# Raw bytes in Python, standard base64 text on the wire.
Base64Bytes = Annotated[
    bytes,
    BeforeValidator(_from_wire),
    PlainSerializer(
        lambda b: base64.b64encode(b).decode("ascii"), return_type=str, when_used="json"
    ),
]
Role = Literal["provider", "consumer", "steward", "operator"]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyRotation(Message):
    """One step of a participant's signing-key history: the key it replaced,
    and that key's signature over the change
    (``trusted_space.protocol.identity.rotation_statement``)."""

    previous_key: Annotated[str, Field(max_length=1024)]  # hex
    signature: Annotated[str, Field(max_length=1024)]  # hex, by previous_key


class ParticipantKeys(Message):
    """A participant's public keys as it announces them, signed by its own
    signing key (``trusted_space.protocol.identity``). The space reads all of
    it and relays it; the other parties check it against the signing key they
    pinned (trusted_space/nodes/pins.py), so the space cannot substitute a
    key of its own."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    role: Role
    suite: Annotated[str, Field(max_length=32)]
    signing_key: Annotated[str, Field(max_length=1024)]  # hex
    sealing_key: Annotated[str, Field(max_length=1024)]  # hex
    # Raised by every announcement of new keys: a party that saw serial n
    # refuses an older announcement (a rolled-back sealing key).
    serial: Annotated[int, Field(ge=0)] = 0
    signature: Annotated[str, Field(max_length=1024)] = ""  # hex, by signing_key
    # Oldest first: each earlier signing key and its signature over the next
    # one, so a party that pinned any of them can follow to signing_key.
    rotations: Annotated[list[KeyRotation], Field(max_length=64)] = []


ParticipantName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
APPOINTMENT = "tspace steward appointment v1"


def appointment_digest(suite: CryptoSuite, owner: str, steward: str, space: str) -> bytes:
    """What an owner signs to appoint a steward (and ``ledger verify`` re-checks)."""
    return suite.hash(
        canonical_json(
            {"statement": APPOINTMENT, "owner": owner, "steward": steward, "space": space}
        )
    )


class StewardAppointment(Message):
    """Owner -> operator -> space: the owner's consent that ``steward``
    publishes, supersedes, retires and approves policies for its data, in
    the space whose ledger key has the fingerprint ``space``. Signed with the
    owner's registered signing key (``appointment_digest``), so the operator
    cannot make one; the space and the ledger keep it for anyone to check."""

    owner: ParticipantName
    steward: ParticipantName
    space: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
    signature: Annotated[str, Field(pattern=r"^[0-9a-f]{2,512}$")]  # hex

    def digest(self, suite: CryptoSuite) -> bytes:
        return appointment_digest(suite, self.owner, self.steward, self.space)


PolicyState = Literal["pending", "published", "superseded", "retired"]


class PolicyStatus(Message):
    """Space -> steward: a policy version's state after publishing or
    approving it. ``pending`` until the steward of every owner in
    ``approvals`` has approved (a None value is an approval still awaited)."""

    id: str
    version: int
    content_hash: str
    state: PolicyState
    approvals: dict[str, str | None] = {}  # owner -> the steward that approved, or None

    @property
    def awaiting(self) -> list[str]:
        return sorted(owner for owner, steward in self.approvals.items() if steward is None)


class DatasetOffer(Message):
    """Provider -> space: the cached PSI setup of one dataset version.

    The space reads the version and sizes; the setup holds only blinded,
    compressed hashes of the provider's subjects."""

    provider: str
    dataset: str
    version: int
    max_client_items: int
    fpr: float
    psi_setup: Base64Bytes
    # Aggregate counts for product cards (subjects, rows and rejected rows
    # per table); never an identifier or a value.
    stats: dict[str, int] = {}


class JobSpec(Message):
    """Consumer -> space: what to run. The space reads all of it; it holds no
    identifier."""

    job_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    product: str
    consumer: str
    purpose: str
    as_of: dt.date
    batch_size: Annotated[int, Field(ge=1)]
    providers: dict[str, list[str]]  # role -> provider names
    paillier_public_key: str  # hex modulus
    model: Base64Bytes | None = None  # score products: the model file, byte for byte
    features: list[str] | None = None  # features products: requested features
    epsilon: float | None = None  # aggregate products: differential privacy per query
    consent_refs: list[str] = []  # evidence references for the subjects' consent
    query: dict[str, Any] | None = None  # aggregate products: the declared query
    # aggregate products: the one-job token key, sealed to each provider; the
    # space relays them and can open none
    sealed_keys: dict[str, Base64Bytes] | None = None
    # The engine the consumer asks for, among those its product allows
    # (``Product.engines``); None: the product's own (``Product.engine``).
    engine: str | None = None


class JobSubmission(Message):
    spec: JobSpec
    psi_request: Base64Bytes | None = None  # lookups: blinded items; opaque to the space
    # blind lookups: one blinded OPRF point (POINT_BYTES) per subject; opaque to the space
    blinded: Base64Bytes | None = None
    # hex: the consumer's signature over the spec and the hashes of its PSI
    # request or blinded points (``trusted_space.protocol.identity.job_statement``)
    signature: Annotated[str, Field(max_length=1024)] = ""


class SignedJob(Message):
    """The job as its consumer signed it, carried in every task a provider
    gets: the provider checks the signature against the consumer's pinned key
    and the task's fields against the spec before it computes anything, so
    the space can alter neither the weights, the features, the consumer's
    Paillier key, the batch nor the purpose."""

    spec: JobSpec
    psi_request_hash: str | None = None  # the suite's hash of the submitted PSI request
    blinded_hash: str | None = None  # the suite's hash of the submitted blinded points
    signature: str  # hex, by consumer_keys.signing_key
    consumer_keys: ParticipantKeys  # the consumer's signed keys when it submitted


# -- tasks: space -> node ----------------------------------------------------


class PsiRespondTask(Message):
    kind: Literal["psi_respond"] = "psi_respond"
    dataset: str
    version: int
    max_items: int
    psi_request: Base64Bytes
    job: SignedJob


class SetupRef(Message):
    """Names a cached PSI setup; the consumer fetches it once and keeps it."""

    dataset: str
    version: int
    hash: str  # the setup's hash under the space's suite


class PsiFinishTask(Message):
    """To the consumer: which setup each provider answered against, and its response."""

    kind: Literal["psi_finish"] = "psi_finish"
    setups: dict[str, SetupRef]  # provider -> setup reference
    responses: dict[str, Base64Bytes]  # provider -> response
    # provider -> its signed keys, as registered: the consumer checks each
    # against the signing key it pinned before sealing anything to it
    keys: dict[str, ParticipantKeys] = {}


class ComputeFeaturesTask(Message):
    kind: Literal["compute_features"] = "compute_features"
    product: str
    role: str
    as_of: dt.date
    features: list[str]
    transforms: dict[str, dict[str, float | list[float]]] = {}  # policy obligations
    # Score products: integer model weights of these features. The provider
    # then returns one ciphertext per subject, its part of the score
    # sum(W_f * F_f), instead of one per feature.
    weights: dict[str, int] | None = None
    paillier_public_key: str
    sealed_subjects: Base64Bytes  # sealed to this provider; opaque to the space
    subject_count: int
    # When set, the provider withholds every subject without live consent
    # for this consumer, product and purpose (opted-out subjects always).
    consent_for: str | None = None
    purpose: str = ""
    # The product parameters the governing policies set (policy obligations);
    # the provider takes the product's default for any other.
    parameters: dict[str, int] = {}
    # Score products: the model the governing policies of this provider pin
    # (SHA-256), as the space read them; None when none pins one.
    approved_model: str | None = None
    job: SignedJob


class ResultReadyTask(Message):
    """To the consumer: its job's result, attached when the task is handed out."""

    kind: Literal["result_ready"] = "result_ready"
    result: JobResult | None = None


class CellLayoutSpec(Message):
    """The cells of a space-aided join's query and how their slots are packed."""

    dims: list[str]
    domains: dict[str, list[str]]
    values: list[str]
    slots_per_plaintext: int


class JoinUploadTask(Message):
    """To each provider of a space-aided join: compute your set of people,
    tokenise it under the job key, encrypt your vectors under the requester's key."""

    kind: Literal["join_upload"] = "join_upload"
    product: str
    role: str
    query: dict[str, Any]
    paillier_public_key: str
    sealed_key: Base64Bytes  # the job key, sealed to this provider
    clip: bool  # bound each person's contribution (differential privacy)
    job: SignedJob


class JoinUnpackTask(Message):
    """To the requester: packed sums plus random masks; re-encrypt each slot."""

    kind: Literal["join_unpack"] = "join_unpack"
    layout: CellLayoutSpec
    masked: Base64Bytes  # packed ciphertexts


class JoinThresholdTask(Message):
    """To the requester: per cell, a blinded comparison of the count with min_count."""

    kind: Literal["join_threshold"] = "join_threshold"
    blinded: Base64Bytes  # one ciphertext per cell


# The blind lookup's mask construction (trusted_space.bulk.blind), named in
# each upload's request digest and sealed binding: a release that derives
# masks another way neither reuses nor accepts an upload made this way.
BLIND_MASK_SCHEME = "prf-blocks-v2"


class BlindUploadRequest(Message):
    """What a provider's masked contributions are for: one consumer, product,
    model, as_of and day. Nothing here depends on the batch."""

    consumer: str
    product: str
    role: str
    as_of: dt.date
    day: dt.date  # consent is read on this day (China)
    features: list[str]
    transforms: dict[str, dict[str, float | list[float]]] = {}
    weights: dict[str, int]  # integer model weights of these features
    model_hash: str
    # When set, a subject without live consent for this consumer, product and
    # purpose contributes zero (opted-out subjects always).
    consent_for: str | None = None
    purpose: str = ""
    consumer_sealing_key: str  # hex: the mask key is sealed to it
    # The model the governing policies of this provider pin (SHA-256), as
    # the space read them; None when none pins one.
    approved_model: str | None = None

    def digest(self, suite: CryptoSuite, dataset: str, version: int) -> str:
        """What an upload answers: this request, the dataset and its version,
        under this release's mask scheme (an upload cached under another is
        then not reused: the provider makes a new one)."""
        body = {
            "dataset": dataset,
            "version": version,
            "masks": BLIND_MASK_SCHEME,
            "request": self.model_dump(mode="json"),
        }
        return suite.hex_hash(canonical_json(body))


class BlindEvaluateTask(Message):
    """To each provider of a blind lookup: raise the consumer's blinded points
    to this epoch's OPRF key; upload the epoch's tokens of the dataset version
    and the masked contributions for ``upload`` when the space holds none for
    the provider's current epoch. The provider sees the batch size only."""

    kind: Literal["blind_evaluate"] = "blind_evaluate"
    dataset: str
    version: int
    blinded: Base64Bytes  # POINT_BYTES per subject
    tokens_held: list[str] = []  # epochs whose tokens of this version the space holds
    uploads_held: list[str] = []  # epochs for which the space holds this upload
    upload: BlindUploadRequest
    job: SignedJob


class BlindFinishTask(Message):
    """To the consumer: each provider's evaluated points and the sealed key of
    the masked upload the space will add (opaque to the space)."""

    kind: Literal["blind_finish"] = "blind_finish"
    evaluated: dict[str, Base64Bytes]  # provider -> POINT_BYTES per subject
    sealed_keys: dict[str, Base64Bytes]  # provider -> its upload's mask key, sealed


class SignedStep(Message):
    """Another node's result as it signed it (``ledger.step_digest``),
    relayed by the space: the receiving node checks the signature against
    that node's pinned key, so the space cannot put a message of its own in
    its place."""

    task_id: str
    signature: str  # hex
    keys: ParticipantKeys  # the signer's signed keys, as registered


class OverlapRequestTask(Message):
    """To the PSI client of an overlap count (the second role): blind your
    subjects of ``dataset`` into a cardinality-mode PSI request."""

    kind: Literal["overlap_request"] = "overlap_request"
    product: str
    role: str
    dataset: str
    version: int
    job: SignedJob


class OverlapRespondTask(Message):
    """To the PSI server of an overlap count (the first role): make a
    one-job setup of your subjects and answer the client's request."""

    kind: Literal["overlap_respond"] = "overlap_respond"
    product: str
    role: str
    dataset: str
    version: int
    psi_request: Base64Bytes  # the client's, opaque to the space
    max_items: int  # the request's size, as the space counted it
    request: SignedStep  # the client's signature over its request
    job: SignedJob


class OverlapFinishTask(Message):
    """To the PSI client: the server's setup and answer; count the shared
    subjects and encrypt the count under the requester's Paillier key."""

    kind: Literal["overlap_finish"] = "overlap_finish"
    product: str
    role: str
    paillier_public_key: str
    psi_setup: Base64Bytes  # opaque to the space
    psi_response: Base64Bytes  # opaque to the space
    response: SignedStep  # the server's signature over its answer
    job: SignedJob


TaskPayload = Annotated[
    PsiRespondTask
    | PsiFinishTask
    | ComputeFeaturesTask
    | ResultReadyTask
    | JoinUploadTask
    | JoinUnpackTask
    | JoinThresholdTask
    | BlindEvaluateTask
    | BlindFinishTask
    | OverlapRequestTask
    | OverlapRespondTask
    | OverlapFinishTask,
    Field(discriminator="kind"),
]


class Task(Message):
    task_id: str
    job_id: str
    node: str
    attempt: int = 1
    payload: TaskPayload


# -- results: node -> space ------------------------------------------------------


class PsiResponseResult(Message):
    kind: Literal["psi_response"] = "psi_response"
    psi_response: Base64Bytes  # opaque to the space


class MatchedSubjectsResult(Message):
    """Consumer -> space: every valid applicant's handle (in batch order) and,
    per provider, the matched subjects sealed to that provider."""

    kind: Literal["matched_subjects"] = "matched_subjects"
    handles: Base64Bytes  # HANDLE_BYTES each
    sealed: dict[str, Base64Bytes]  # provider -> sealed [(handle, person_id)]
    counts: dict[str, int]  # provider -> number of sealed subjects


class EncryptedFeaturesResult(Message):
    """Provider -> space: per handle, one ciphertext per feature, in the
    order of ``features``. The space reads handles and sizes only."""

    kind: Literal["encrypted_features"] = "encrypted_features"
    features: list[str]
    weighted: bool = False  # one ciphertext per handle: the weighted sum of the features
    handles: Base64Bytes
    ciphertexts: Base64Bytes
    # Handles the provider withholds (no live consent, or opted out): they
    # contribute nothing, and the space releases nothing for them.
    withheld: Base64Bytes = b""


class AckResult(Message):
    kind: Literal["ack"] = "ack"


class JoinUploadResult(Message):
    """Provider -> space: its people's tokens (HMAC under the job key) and,
    per token, its packed vector. The space reads tokens and sizes only."""

    kind: Literal["join_upload"] = "join_upload"
    tokens: Base64Bytes  # TOKEN_BYTES each
    ciphertexts: Base64Bytes  # per token, ``plaintexts`` ciphertexts (or none)
    plaintexts: int
    # The values of a layout dimension only this provider knows (e.g. its
    # sites, when the query groups by site): dimension -> values.
    domains: dict[str, list[str]] = {}


class JoinUnpackResult(Message):
    kind: Literal["join_unpacked"] = "join_unpacked"
    ciphertexts: Base64Bytes  # one per slot: Enc(value + mask)


class JoinThresholdResult(Message):
    kind: Literal["join_threshold"] = "join_threshold"
    passed: list[bool]


class BlindUpload(Message):
    """A provider's masked contributions for its whole population, in the
    order of its epoch tokens: m_j = s_j + r_j, with r_j from a key sealed
    to the consumer (``sealed_key``). The space reads sizes and the binding
    fields; the masks hide every s_j statistically (64 bits of slack)."""

    upload_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]  # fresh per upload
    epoch: str
    version: int
    request_hash: str  # the suite hash of the BlindUploadRequest answered
    tokens_hash: str  # the suite hash of the tokens the values follow
    values: Base64Bytes  # MASKED_VALUE_BYTES each, signed big-endian
    sealed_key: Base64Bytes  # mask key and binding, sealed to the consumer


class BlindEvaluateResult(Message):
    kind: Literal["blind_evaluated"] = "blind_evaluated"
    epoch: str
    evaluated: Base64Bytes  # POINT_BYTES per blinded point, in order
    tokens: Base64Bytes = b""  # the epoch's OPRF tokens of the whole dataset, when asked
    upload: BlindUpload | None = None  # when asked


class BlindMasksResult(Message):
    """Consumer -> space: fresh handles (batch order) and, per provider, each
    subject's OPRF token and Enc(-r) under the consumer's key."""

    kind: Literal["blind_masks"] = "blind_masks"
    handles: Base64Bytes
    tokens: dict[str, Base64Bytes]  # provider -> TOKEN_BYTES per subject
    removals: dict[str, Base64Bytes]  # provider -> one ciphertext per subject


class OverlapRequestResult(Message):
    """PSI client -> space: its blinded subjects (cardinality mode), opaque
    to the space, which reads their number only."""

    kind: Literal["overlap_requested"] = "overlap_requested"
    psi_request: Base64Bytes


class OverlapResponseResult(Message):
    """PSI server -> space: a one-job setup of its subjects and its answer
    to the request (shuffled: cardinality mode), both opaque to the space."""

    kind: Literal["overlap_responded"] = "overlap_responded"
    psi_setup: Base64Bytes
    psi_response: Base64Bytes


class OverlapCountResult(Message):
    """PSI client -> space: the overlap count encrypted under the
    requester's Paillier key; the space cannot read it."""

    kind: Literal["overlap_count"] = "overlap_count"
    ciphertext: Base64Bytes


class PartsResult(Message):
    """A result too large for one request (the service's body limit): the
    real payload's JSON was sent first in parts to the task
    (``SpaceAPI.put_part``), named here by their suite hashes in order. The
    space joins them, reads the payload and checks the node's signature on
    it, as if it had come whole."""

    kind: Literal["parts"] = "parts"
    parts: list[str] = Field(min_length=1, max_length=65536)
    size: int = Field(ge=1)  # bytes of the joined JSON


TaskResultPayload = Annotated[
    PsiResponseResult
    | MatchedSubjectsResult
    | EncryptedFeaturesResult
    | AckResult
    | JoinUploadResult
    | JoinUnpackResult
    | JoinThresholdResult
    | BlindEvaluateResult
    | BlindMasksResult
    | OverlapRequestResult
    | OverlapResponseResult
    | OverlapCountResult
    | PartsResult,
    Field(discriminator="kind"),
]


class TaskResult(Message):
    """A node's result of one task, signed by the node (``ledger.step_digest``
    over the job, the task, the result kind and the payload's hash)."""

    task_id: str
    payload: TaskResultPayload
    signature: str = ""  # hex


class TaskExchange(Message):
    """A node's results, posted with its request for more work: one round trip
    where a result and the next poll would take two."""

    results: list[TaskResult] = Field(default_factory=list, max_length=64)


class ResultOutcome(Message):
    """What became of one posted result: 204 taken (or the same result again),
    404 not this node's task, 409 no longer wanted, 422 refused (the job failed)."""

    task_id: str
    status: int
    detail: str = ""


class TaskExchangeReply(Message):
    """The outcomes, the next tasks, and the space's latest signed ledger
    checkpoint, which the node keeps in its own folder (evidence that the
    ledger was at least that long: trusted_space/ledger/checkpoints.py)."""

    outcomes: list[ResultOutcome]
    tasks: list[Task]
    checkpoint: dict[str, Any] | None = None


# -- status and release ------------------------------------------------------------

JobState = Literal["queued", "running", "succeeded", "failed", "denied"]


class LookupEngineChoice(Message):
    """The engine the published policies choose for a job of a product on
    some providers' data, and why (``policies.lookup.choose_engine``)."""

    engine: str
    required_by: list[str] = []  # ids of the policies requiring the blind lookup
    runnable: bool = True  # False: a policy requires an engine the product lacks
    why_en: str = ""
    why_zh: str = ""


class JobStatus(Message):
    job_id: str
    state: JobState
    step: str
    reasons: list[str] = []
    # A denial's reasons in zh-CN, one per reason (English where a policy
    # constraint gives no zh-CN text); empty for anything else.
    reasons_zh: list[str] = []


class JobSubmitted(JobStatus):
    """The reply to a submission: the job's status, and the caller's tasks
    leased while the submission waited for one (``wait``), the new job's
    first step as a rule."""

    tasks: list[Task] = []


class JobResult(Message):
    """Space -> consumer: one re-randomised ciphertext per handle (score
    mode), per handle and block (features mode), or per released cell and
    value (aggregate mode: ``cells`` and ``status`` in layout order)."""

    job_id: str
    output_mode: Literal["score", "features", "aggregate"]
    features: list[str]
    handles: Base64Bytes
    ciphertexts: Base64Bytes
    duties: dict[str, int] = {}  # e.g. retention_days the consumer accepted
    withheld: Base64Bytes = b""  # lookups: handles some provider withheld (no consent)
    layout: CellLayoutSpec | None = None  # aggregate mode
    status: list[str] = []  # aggregate mode, per cell: ok | suppressed
    privacy: dict[str, Any] = {}  # aggregate mode: epsilon spent and remaining


def split_handles(data: bytes) -> list[bytes]:
    if len(data) % HANDLE_BYTES:
        raise ProtocolError(Text("err.space.protocol.handle_block", size=HANDLE_BYTES))
    return [data[i : i + HANDLE_BYTES] for i in range(0, len(data), HANDLE_BYTES)]


ResultReadyTask.model_rebuild()
