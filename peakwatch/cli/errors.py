"""The command's exit codes and its user-facing error."""

# 2: a configuration error, or a usage error (an unknown option or command, a bad value).
# 4: the run's results are kept in artifacts/pending/ (MLflow did not take them); `peakwatch sync` later.
EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_LOCKED, EXIT_PENDING = 0, 1, 2, 3, 4
EXIT_USAGE = 2


class CliError(Exception):
    """A user-facing failure: printed as one paragraph, no traceback."""
