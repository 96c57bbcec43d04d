"""``peakwatch deploy``: register prefect.yaml's work-pool deployments with the
team's Prefect server (docs/how-to/team-deployment.md)."""

import json

from peakwatch.cli.errors import EXIT_OK, CliError
from peakwatch.config import PROJECT_ROOT

PROJECT_PREFECT_FILE = PROJECT_ROOT / "prefect.yaml"  # flows/deployment.py's, without importing Prefect here


def parse_params(items: list[str]) -> dict:
    """NAME=VALUE pairs; a VALUE that is JSON (a number, true, a list) is read as such."""
    overrides = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            overrides[name] = json.loads(value)
        except ValueError:
            overrides[name] = value
    return overrides


def deploy_command(args) -> int:
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import get_current_settings

    from flows.deployment import pool_deployments
    from peakwatch.redact import redact_url

    api = get_current_settings().api.url
    if not api:
        raise CliError(
            "set PREFECT_API_URL to the team's Prefect server (e.g. http://localhost:4200/api): no worker would "
            "run a work pool's deployment on the ephemeral local server. On one machine, use `peakwatch serve`."
        )
    for deployment in pool_deployments(args.prefect_file, parse_params(args.param)):
        pool = deployment.work_pool_name
        try:
            with get_client(sync_client=True) as client:
                client.read_work_pool(pool)
        except ObjectNotFound:
            raise CliError(
                f"work pool {pool!r} does not exist on {redact_url(api)}: start its worker first "
                f"(`prefect worker start --pool {pool} --type process`)"
            ) from None
        deployment_id = deployment.apply()
        crons = ", ".join(f"'{s.schedule.cron}' ({s.schedule.timezone})" for s in deployment.schedules or [])
        print(
            f"Registered '{deployment.flow_name}/{deployment.name}' on work pool {pool!r}, cron {crons or 'none'}: "
            f"{redact_url(api).removesuffix('/api')}/deployments/deployment/{deployment_id}"
        )
    return EXIT_OK
