"""The single DynamoDB table: key builders, record <-> item mapping and transactions.

This package is the only code that knows pk/sk; see docs/data-model.md for every entity,
index and access pattern, and the calls each API operation costs.
"""

from .table import CommitFailed, Snapshot, Store

__all__ = ["CommitFailed", "Snapshot", "Store"]
