"""Settings, read from the environment (prefix TAMGA_) once; secrets never have defaults.

Outside development the settings refuse to start with a missing or placeholder secret
(the pattern of full-stack-fastapi-template `core/config.py`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "password", "neo4j", "admin", "test"}


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "tamga"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TAMGA_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default_factory=_default_data_dir,
                           description="where the embedded store, reports and quarantine live")
    store: Literal["grafeo", "neo4j"] = "grafeo"

    # Neo4j (production store); read without the TAMGA_ prefix as well, as the driver's docs name them.
    neo4j_uri: str | None = Field(default=None, validation_alias="NEO4J_URI")
    neo4j_user: str = Field(default="neo4j", validation_alias="NEO4J_USER")
    neo4j_password: SecretStr | None = Field(default=None, validation_alias="NEO4J_PASSWORD")
    neo4j_database: str = Field(default="neo4j", validation_alias="NEO4J_DATABASE")

    # API
    secret_key: SecretStr | None = Field(default=None,
                                         description="signs nothing public; required outside development")
    bootstrap_admin_key: SecretStr | None = Field(default=None,
                                                  description="an admin API key accepted at start")
    cors_origins: list[str] = Field(default_factory=list, description="closed by default")

    # caps (one place: see graph.limits)
    max_page_size: int = 200
    max_depth: int = 3
    max_subgraph_nodes: int = 300
    max_body_bytes: int = 1_000_000
    query_timeout_s: float = 10.0
    rate_limit_per_minute: int = 6000

    batch_size: int = 5000
    checkpoint_interval_s: int = 30
    checkpoint_wal_bytes: int = 64 * 1024 * 1024

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> Settings:
        if self.env == "production":
            sk = self.secret_key.get_secret_value() if self.secret_key else ""
            if sk.lower() in _PLACEHOLDERS or len(sk) < 16:
                raise ValueError("TAMGA_SECRET_KEY must be set to a random value of 16+ characters in "
                                 "production")
        if self.store == "neo4j":
            if not self.neo4j_uri:
                raise ValueError("TAMGA_STORE=neo4j needs NEO4J_URI")
            pw = self.neo4j_password.get_secret_value() if self.neo4j_password else ""
            if not pw or (self.env == "production" and pw.lower() in _PLACEHOLDERS):
                raise ValueError("NEO4J_PASSWORD must be set (no default) for the Neo4j store")
        return self

    @property
    def grafeo_path(self) -> Path:
        return self.data_dir / "store.grafeo"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    # ingest limits (ingest.load, ingest.readers): bounds on what one bundle may make the ingest
    # read or keep; past them the run stops as bad input (exit 2) and is recorded as failed.
    ingest_max_file_bytes: int = Field(default=16 * 2**30, description="bytes of one bundle file on disk")
    ingest_max_file_chars: int = Field(default=64 * 2**30,
                                       description="characters of text read from one file")
    ingest_max_expansion_ratio: float = Field(default=100.0,
                                              description="expanded / compressed size of a .gz")
    ingest_max_rows_per_file: int = Field(default=50_000_000, description="rows of one file")
    ingest_max_row_chars: int = Field(default=4 * 2**20, description="characters of one record")
    ingest_max_field_chars: int = Field(default=64 * 1024,
                                        description="a longer field costs its row (quarantined)")
    ingest_max_quarantined: int = Field(default=100_000, description="rows quarantined in one run")
    ingest_max_quarantine_share: float = Field(default=0.5, description="share of a file's rows quarantined")


@lru_cache
def get_settings() -> Settings:
    return Settings()
