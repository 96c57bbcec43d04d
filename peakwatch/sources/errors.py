"""The errors source adapters raise."""


class SourceError(ValueError):
    """A source could not be read or does not fit the data contract."""


class TransientFetchError(SourceError):
    """A fetch failed in a way worth retrying (timeout, connection reset, HTTP 5xx)."""
