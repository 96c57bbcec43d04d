"""A flow's outcome in the form summary.json has, with where its files are."""


def as_json(outcome) -> dict:
    """``flows.publish.RunOutcome`` as the dict its summary.json reads, plus
    ``summary_path`` and ``report_path``."""
    return {**outcome.summary.to_json(), "summary_path": str(outcome.summary_path), "report_path": str(outcome.report_path)}
