"""The command's exit codes and its user-facing error."""

# 4: the run's results are kept in artifacts/pending/ (MLflow did not take them); `peakwatch sync` later.
EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_LOCKED, EXIT_PENDING = 0, 1, 2, 3, 4


class CliError(Exception):
    """A user-facing failure: printed as one paragraph, no traceback."""
