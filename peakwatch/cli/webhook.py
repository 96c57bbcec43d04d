"""``peakwatch add-webhook``: create the notification block the config names,
so warnings reach a chat or mail channel (the default config names
``custom-webhook/peakwatch-warnings``, which no one has created yet)."""

import argparse
import getpass
import sys

from peakwatch.cli.errors import EXIT_OK, CliError

DEFAULT_NAME = "peakwatch-warnings"


def add_parser(commands, verbose: argparse.ArgumentParser) -> None:
    webhook = commands.add_parser(
        "add-webhook",
        parents=[verbose],
        help="create the webhook block that receives the early warnings",
        description=(
            "Save a Prefect custom webhook block on the Prefect API runs use (PREFECT_API_URL, or the local "
            "one) that posts {\"text\": \"<subject>\\n<body>\"} to the URL you type (not echoed; or piped on "
            "stdin). The URL, tokens and all, is kept in the block's secrets, never in the config or logs."
        ),
    )
    webhook.add_argument(
        "--name", default=DEFAULT_NAME,
        help="the block's name; the config refers to it as custom-webhook/NAME (default: %(default)s)",
    )
    webhook.set_defaults(handler=add_webhook)


def add_webhook(args: argparse.Namespace) -> int:
    from flows.notify import save_webhook_block

    url = (getpass.getpass("webhook URL: ") if sys.stdin.isatty() else sys.stdin.readline()).strip()
    if not url.startswith(("https://", "http://")):
        raise CliError("expected the webhook's URL (https://...), typed at the prompt or piped on stdin")
    block = save_webhook_block(args.name, url)
    print(f"Saved block {block!r}: warnings.notify.blocks must name it (the default config does).")
    return EXIT_OK
