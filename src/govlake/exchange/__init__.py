"""The shared exchange (共享交换): subscriptions and requests under the three sharing types,
provider decisions, grants, the demand list (需求清单), scoped deliveries to department outboxes,
and the hash-chained log that records all of it (docs/exchange.md).

One job per module: ``rules`` (what may be shared, columns and the row-filter language),
``log`` (the append-only, hash-chained log), ``state`` (requests, decisions, grants, demands),
``deliver`` (batches → outboxes, receipts), ``sample`` (the sample requests and grants),
``tokens`` and ``api`` (the read API: grant tokens, scoped reads, audited calls).
"""

from govlake.exchange.rules import ExchangeError, load_rules
from govlake.exchange.state import Exchange, read_state

__all__ = ["Exchange", "ExchangeError", "load_rules", "read_state"]
