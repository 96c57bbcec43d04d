"""Source adapters: fetch bytes, decode, read a table, reshape to the contract,
convert units, match regions, merge sources, snapshot the raw bytes.

One module per concern; the flow calls ``pull.pull_all`` (and ``pull.resolve_pins``
for ``--snapshot``); ``peakwatch validate`` calls ``pull.read_panel``, which writes nothing.
Every error is a ``SourceError`` naming the file and, where it can, the row,
column, region or year at fault.
"""

from peakwatch.sources.errors import SourceError, TransientFetchError

__all__ = ["SourceError", "TransientFetchError"]
