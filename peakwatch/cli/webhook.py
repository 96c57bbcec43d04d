"""``peakwatch add-webhook``: create the notification block the config names,
so warnings reach a chat or mail channel (the default config names
``custom-webhook/peakwatch-warnings``, which no one has created yet)."""

import getpass
import sys

from peakwatch.cli.errors import EXIT_OK, CliError

DEFAULT_NAME = "peakwatch-warnings"


def add_webhook(args) -> int:
    from flows.notify import save_webhook_block

    url = (getpass.getpass("webhook URL: ") if sys.stdin.isatty() else sys.stdin.readline()).strip()
    if not url.startswith(("https://", "http://")):
        raise CliError("expected the webhook's URL (https://...), typed at the prompt or piped on stdin")
    block = save_webhook_block(args.name, url)
    print(f"Saved block {block!r}: warnings.notify.blocks must name it (the default config does).")
    return EXIT_OK
