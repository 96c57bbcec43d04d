"""Environment overrides of the config file, read when the config is loaded
(at run time, never at import)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EnvOverrides(BaseSettings):
    """``MLFLOW_TRACKING_URI`` -> ``tracking.uri``, ``PEAKWATCH_DASK_ADDRESS`` ->
    ``dask.address``; unset or empty: the file's value stands."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=True)

    tracking_uri: str | None = Field(None, validation_alias="MLFLOW_TRACKING_URI")
    dask_address: str | None = Field(None, validation_alias="PEAKWATCH_DASK_ADDRESS")

    def apply(self, raw: dict) -> None:
        """Write the overrides that are set into ``raw``, the config file's mapping."""
        if self.tracking_uri:
            raw.setdefault("tracking", {})["uri"] = self.tracking_uri
        if self.dask_address:
            raw.setdefault("dask", {})["address"] = self.dask_address
