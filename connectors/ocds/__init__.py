"""Open Contracting Data Standard (OCDS 1.0 and 1.1) -> ``tender_parties`` and
``tender_bids``."""

from connectors.ocds.reading import OcdsConnector

__all__ = ["OcdsConnector"]
