"""tspace's public Python API: what the notebooks and scripts use.

    from trusted_space import api as ts

Everything named here is documented in docs/python-api.md and kept stable;
other modules are internal. Each product runs on an embedded deployment (the
space, the providers and the consumer in one process, exactly the messages
the HTTP service carries) in ``workdir``; after a run the space's ledger and
usage can be read back from the same folder.

- Data: ``generate_health``, ``generate_tenders``, ``generate_claims``
  (synthetic, no real person).
- Providers: ``load_source`` loads a source into a node and returns its
  ``QualityReport``; ``connector_kinds`` lists the source kinds;
  ``import_consents`` stores a provider's consent records.
- Stewards: ``parse_policy``, ``load_policy``, ``policy_problems``,
  ``describe_policy`` (plain words, zh-CN or en), ``explain_job``.
- Products: ``run_underwriting``, ``run_lending``, ``run_cohort``,
  ``run_claims``, each with its plaintext reference (``reference_scores``,
  ``reference_features``, ``reference_cells``, ``reference_claims``)
  computed in DuckDB on the same files.
- Governance: ``ledger_entries``, ``verify_ledger``, ``usage_rows``.
- Plots: ``use_cjk_font`` makes matplotlib draw Chinese titles and labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.base import LoadOptions, connector_kinds, load_source
from connectors.consent import read_consent_file
from connectors.node_store import NodeStore
from connectors.quality import QualityReport, Rejection
from policies.explain import explain_job
from policies.model import Policy, PolicyError, load_policy, parse_policy
from policies.plain import describe as describe_policy
from policies.semantics import semantic_errors
from products.claims.reference import reference_claims
from products.claims.runner import ClaimRow, ClaimsRun, run_claims
from products.cohort.query import load_query
from products.cohort.reference import reference_cells
from products.cohort.runner import CohortRun, run_cohort
from products.lending.reference import reference_features
from products.lending.runner import FeatureRow, LendingRun, run_lending
from products.registry import PRODUCTS
from products.score_model import ScoreModel
from products.underwriting.reference import reference_scores
from products.underwriting.runner import ScoreRow, UnderwritingRun, run_underwriting
from trusted_space.core.errors import LedgerTampered, PolicyDenied, TspaceError
from trusted_space.core.i18n import Text
from trusted_space.crypto import get_suite
from trusted_space.demo import default_model_path
from trusted_space.ledger.ledger import verify_entries
from trusted_space.ledger.metering import UsageRow, usage
from trusted_space.space import readonly
from trusted_space.synth import generate_claims, generate_health, generate_tenders

__all__ = [
    "ClaimRow",
    "ClaimsRun",
    "CohortRun",
    "FeatureRow",
    "LedgerTampered",
    "LendingRun",
    "LoadOptions",
    "Policy",
    "PolicyDenied",
    "PolicyError",
    "QualityReport",
    "Rejection",
    "ScoreModel",
    "ScoreRow",
    "TspaceError",
    "UnderwritingRun",
    "UsageRow",
    "connector_kinds",
    "default_model_path",
    "describe_policy",
    "explain_job",
    "generate_claims",
    "generate_health",
    "generate_tenders",
    "import_consents",
    "ledger_entries",
    "load_policy",
    "load_query",
    "load_source",
    "parse_policy",
    "policy_problems",
    "reference_cells",
    "reference_claims",
    "reference_features",
    "reference_scores",
    "run_claims",
    "run_cohort",
    "run_lending",
    "run_underwriting",
    "usage_rows",
    "use_cjk_font",
    "verify_ledger",
]


def policy_problems(text: str | bytes) -> list[tuple[str, str]]:
    """Every problem of a policy document as (path, message in the current
    language); empty if valid."""
    try:
        problems = semantic_errors(parse_policy(text))
    except PolicyError as exc:
        problems = exc.errors
    return [(path, str(message)) for path, message in problems]


def import_consents(node_dir: Path, path: Path) -> tuple[int, list[Rejection]]:
    """Store the consent records of the CSV file ``path`` (subject_id,
    consumer, product, purpose, expires, evidence_ref) at the provider node
    in ``node_dir`` (``WORKDIR/nodes/NAME`` of an embedded run; made if new),
    as ``tspace consent import`` does. Return how many were stored and every
    rejected row with its file, row, field and reason: none is dropped
    silently. The records stay at the provider; the space never sees them."""
    parsed = read_consent_file(Path(path), {name: p.subject for name, p in PRODUCTS.items()})
    with NodeStore(Path(node_dir)) as store:
        stored = store.record_consents(parsed.rows)
    return stored, parsed.rejections


def ledger_entries(workdir: Path) -> list[dict[str, Any]]:
    """The space's ledger entries (as exported), oldest first."""
    return readonly.ledger_entries(Path(workdir))


def verify_ledger(workdir: Path) -> int:
    """Verify the whole ledger of the space in ``workdir`` with its public key:
    chain, hashes, signatures, checkpoints and nodes' step signatures. Return
    the number of entries; raise ``LedgerTampered`` naming the first bad one."""
    entries = ledger_entries(workdir)
    if not entries:
        raise LedgerTampered(1, Text("ledger.empty"))
    suite = get_suite(str((entries[0].get("details") or {}).get("suite", "default")))
    return verify_entries(iter(entries), suite, readonly.space_public_key(Path(workdir)))


def usage_rows(workdir: Path, month: str | None = None) -> list[UsageRow]:
    """Usage per month, consumer, product and provider, from the ledger alone."""
    return usage(ledger_entries(workdir), month)


# Fonts with Chinese glyphs, best first: the Debian/Ubuntu packages
# fonts-wqy-zenhei (CI installs it), fonts-noto-cjk, then common desktop fonts.
CJK_FONT_FILES = (
    "wqy-zenhei",
    "wqy-microhei",
    "notosanscjk",
    "notoserifcjk",
    "sourcehansans",
    "simhei",
    "msyh",
    "pingfang",
)


def use_cjk_font() -> str:
    """Make matplotlib draw Chinese text; returns the font family chosen.

    matplotlib caches its font list once, so a CJK font installed after that
    is invisible to it: the installed fonts are searched and registered here.
    Raises ``RuntimeError`` naming the package to install when there is none
    (a plot would otherwise show empty boxes for every Chinese glyph).
    """
    from matplotlib import font_manager, rcParams

    found = sorted(
        (path for path in font_manager.findSystemFonts() if _cjk_rank(path) is not None),
        key=lambda path: _cjk_rank(path) or 0,
    )
    if not found:
        raise RuntimeError(
            "no font with Chinese glyphs found: install one, e.g. "
            "`apt-get install fonts-wqy-zenhei` or `fonts-noto-cjk`"
        )
    font_manager.fontManager.addfont(found[0])
    family = font_manager.FontProperties(fname=found[0]).get_name()
    rcParams["font.sans-serif"] = [family, *rcParams["font.sans-serif"]]
    rcParams["font.family"] = "sans-serif"
    rcParams["axes.unicode_minus"] = False
    return str(family)


def _cjk_rank(path: str) -> int | None:
    name = Path(path).name.lower().replace("-", "").replace("_", "")
    for rank, stem in enumerate(CJK_FONT_FILES):
        if stem.replace("-", "") in name:
            return rank
    return None
