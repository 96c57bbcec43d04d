"""The Prefect deployment's schedule."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from pydantic import field_validator

from peakwatch.config.base import Frozen


class ScheduleConfig(Frozen):
    """The Prefect deployment that runs the monthly flow by itself."""

    deployment: str = "monthly"  # full name: peakwatch-monthly/<deployment>
    cron: str = "0 6 1 * *"  # 06:00 on the 1st of each month
    # Time zone of the cron schedule and of the run date.
    timezone: str = "Asia/Shanghai"
    # True: the deployment is created paused.
    paused: bool = False

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, cron: str) -> str:
        try:
            CronSim(cron, datetime.now(timezone.utc))
        except CronSimError as exc:
            raise ValueError(f"invalid cron expression {cron!r}: {exc}") from None
        return cron

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, timezone: str) -> str:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {timezone!r}") from None
        return timezone

    def local_time(self, moment: datetime | str) -> datetime:
        """``moment`` (a datetime or ISO timestamp with an offset) on the schedule's
        clock, which dates runs: the run fired at 06:00 on the 1st in Shanghai is
        still on the last day of the month before in UTC."""
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return moment.astimezone(ZoneInfo(self.timezone))

    def run_day(self, moment: datetime | str) -> str:
        """The day (YYYY-MM-DD) of ``moment`` on the schedule's clock."""
        return self.local_time(moment).date().isoformat()
