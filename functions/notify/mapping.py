"""How the table's stream reaches the notify function: one definition for the event source
mapping of the deployed stack (`infra/notify.py`) and the local stack's pump
(`functions/local/stream.py`), so that both deliver, retry and give up alike."""

from __future__ import annotations

from datetime import timedelta

# Records per invocation, and how long the mapping may wait to fill a batch.
BATCH_SIZE = 100
BATCHING_WINDOW = timedelta(seconds=1)
# A failing batch is retried from its first failed record (partial batch response), split in
# two when the function fails as a whole (bisect on error), and sent to the failure queue after
# this many retries or once its records are this old. Each email has its own, shorter limit
# (functions.notify.handler.MAX_ATTEMPTS): an email that keeps failing is recorded as not sent
# long before its record reaches the failure queue.
RETRY_ATTEMPTS = 10
BISECT_ON_ERROR = True
MAX_RECORD_AGE = timedelta(hours=24)
