"""The ledger: validated bundle rows as append-only Parquet, the analytics' source of record.

A storage layer beside graph.store; it imports graph.domain and graph.settings only.
"""

from graph.ledger.layout import KINDS, TABLES
from graph.ledger.ledger import Ledger

__all__ = ["KINDS", "TABLES", "Ledger"]
