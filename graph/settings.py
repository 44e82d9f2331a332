"""Settings, read from the environment (prefix TAMGA_) once; secrets never have defaults.

Outside development the settings refuse to start with a missing, placeholder or low-entropy secret
(the pattern of full-stack-fastapi-template `core/config.py`), and production refuses an open CORS
policy. A refusal names the setting, never its value: `SettingsRefused` carries only the messages
(pydantic's own error text would echo `input_value`, the secrets included).
"""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "password", "neo4j", "admin", "test"}


MIN_SECRET_BITS = 45  # measured: random 16-character url-safe tokens score 48-64 by this estimate
MIN_SECRET_DISTINCT = 8


def secret_weakness(value: str) -> str | None:
    """Why a secret is too weak (placeholder, short, few distinct characters, low entropy), or None.

    The estimate is the string's Shannon entropy times its length: `aaaaaaaaaaaaaaaa` scores 0 bits,
    `abababab…` 1 bit per character; a random 16+ character token passes.
    """
    if value.lower() in _PLACEHOLDERS:
        return "is a placeholder"
    if len(value) < 16:
        return "is shorter than 16 characters"
    if value in (value + value)[1:-1]:
        return "is a repeated pattern"
    counts = Counter(value)
    if len(counts) < MIN_SECRET_DISTINCT:
        return f"has fewer than {MIN_SECRET_DISTINCT} distinct characters"
    bits = -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values()) * len(value)
    if bits < MIN_SECRET_BITS:
        return f"carries about {bits:.0f} bits of entropy (at least {MIN_SECRET_BITS} needed)"
    return None


class SettingsRefused(ValueError):
    """The settings were refused; the message names the settings and why, never their values."""


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
    bootstrap_admin_key: SecretStr | None = Field(
        default=None, description="a one-time admin API key: valid until the first real admin key exists, "
                                  "at most bootstrap_key_hours, and only while this setting is present")
    bootstrap_key_hours: int = Field(default=24, ge=1, le=168)
    cors_origins: list[str] = Field(default_factory=list, description="closed by default")
    trusted_proxies: list[str] = Field(
        default_factory=list, description="peer addresses whose X-Forwarded-For is believed (default: none)")

    # failed authentication: after this many bad keys from one address within the window, 429
    auth_fail_limit: int = Field(default=20, ge=1)
    auth_fail_window_s: int = Field(default=60, ge=1)
    # decisions that lower the risk of a party scored at or above this need a second approver
    four_eyes_risk: float = Field(default=0.5, ge=0.0, le=1.0)
    # a party whose entity risk is at least this raises an entity-risk alert (graph.pipeline.alerts); the
    # four-eyes level, as both mean "high risk" (the seeded 3k-row world: 99th percentile 0.60, max 0.63)
    alert_risk_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    # slow clients: request headers must arrive within this, each body chunk within the body timeout
    header_timeout_s: float = Field(default=10.0, gt=0)
    body_timeout_s: float = Field(default=10.0, gt=0)
    keep_alive_s: int = Field(default=5, ge=1)
    max_connections: int = Field(default=1000, ge=1)

    # caps (one place: see graph.limits)
    max_page_size: int = 200
    max_depth: int = 3
    max_subgraph_nodes: int = 300
    max_body_bytes: int = 1_000_000
    query_timeout_s: float = 10.0
    rate_limit_per_minute: int = 6000

    # risk management (graph.declarations.selection, .categories): a minimum share of each proposed
    # lane drawn at random for inspection (ASYCUDA's minimum random rate: 1 % of green, none beyond
    # their own lane for yellow and red), the lane a random pick goes to, the seed of the draw, the
    # tolerance level (the acceptable compliance level, WCO: 90-95 %) and the confidence of its interval
    random_share: dict[str, float] = Field(
        default_factory=lambda: {"green": 0.01, "yellow": 0.0, "red": 0.0},
        description="per proposed lane, the share of items drawn at random for inspection")
    random_lane: Literal["yellow", "red"] = "red"
    random_seed: int = 20260
    tolerance_level: float = Field(default=0.95, ge=0.0, le=1.0)
    interval_confidence: float = Field(default=0.95, gt=0.0, lt=1.0)
    # trader categories (graph.declarations.categories): a score at or above `category_high` is high, at
    # or above `category_medium` medium; on the network risk's (compressed) scale
    category_high: float = Field(default=0.1, ge=0.0, le=1.0)
    category_medium: float = Field(default=0.03, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _check_risk_management(self) -> Settings:
        lanes = {"green", "yellow", "red"}
        for lane, share in self.random_share.items():
            if lane not in lanes:
                raise ValueError(f"TAMGA_RANDOM_SHARE: {lane!r} is not a lane (green, yellow, red)")
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"TAMGA_RANDOM_SHARE: the share of {lane} must lie between 0 and 1")
        if self.category_medium > self.category_high:
            raise ValueError("TAMGA_CATEGORY_MEDIUM must not exceed TAMGA_CATEGORY_HIGH")
        return self

    # the daily scoring run (graph.declarations.assessment.reuse, graph.pipeline.delta): `tamga score`
    # reuses the stored assessment model while it is younger than `model_max_age_days` and the labelled
    # items (inspection results and offences) have grown by at most `model_max_label_growth` (a share)
    # since it was trained; the write-back writes only the rows that changed since the last run
    model_max_age_days: float = Field(default=7.0, ge=0.0)
    model_max_label_growth: float = Field(default=0.1, ge=0.0)
    delta_writes: bool = Field(default=True, description="write back only what changed since the last run")

    batch_size: int = 5000
    checkpoint_interval_s: int = 30
    checkpoint_wal_bytes: int = 64 * 1024 * 1024

    # jobs (api.services.jobs): ingest and scoring run inside `tamga serve`, one writer at a time.
    # A bundle named by path must lie under one of `ingest_roots` (none: only uploads); an upload
    # (multipart CSVs, .zip or .tar.gz) is bounded in bytes, files and expanded size.
    ingest_roots: list[Path] = Field(default_factory=list, description="folders a bundle path may lie under")
    job_upload_max_bytes: int = Field(default=64 * 2**20, ge=1, description="bytes of one uploaded bundle")
    job_upload_max_files: int = Field(default=16, ge=1, description="files in one uploaded bundle")
    job_upload_max_expanded_bytes: int = Field(default=1 * 2**30, ge=1,
                                               description="bytes of an uploaded archive once extracted")
    job_queue_max: int = Field(default=32, ge=1, description="jobs waiting at once (beyond it: 503)")
    job_shutdown_timeout_s: float = Field(default=60.0, gt=0,
                                          description="how long shutdown waits for a running job to stop")
    score_schedule: str | None = Field(default=None, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                                       description="a daily UTC time (HH:MM) at which `tamga serve` queues a "
                                                   "full scoring run; none: off")

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> Settings:
        if self.env == "production":
            sk = self.secret_key.get_secret_value() if self.secret_key else ""
            why = secret_weakness(sk)
            if why:
                raise ValueError(f"TAMGA_SECRET_KEY {why}: set a random value of 16+ characters in "
                                 "production")
            if "*" in self.cors_origins:
                raise ValueError("TAMGA_CORS_ORIGINS must name origins in production, not '*'")
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

    # the ledger (graph.ledger): a partition folder is compacted after a flush that leaves more than
    # `ledger_compact_parts` parts under `ledger_small_part_bytes` in it (0: only `tamga ledger compact`)
    ledger_compact_parts: int = Field(default=64, ge=0, description="small parts a folder may hold")
    ledger_small_part_bytes: int = Field(default=8 * 2**20, ge=1, description="a part under this is small")
    # off only to measure the graph-only path (bench/bench_ingest.py): the ledger then lags the graph,
    # and `tamga score` notices it and scores in the store's process on frames read from the store
    ledger_writes: bool = Field(default=True, description="write every ingested batch to the ledger too")


def load_settings(**kw) -> Settings:
    """Settings from the environment; a refusal raises `SettingsRefused` without any input value."""
    try:
        return Settings(**kw)
    except ValidationError as e:
        msgs = []
        for err in e.errors(include_input=False, include_url=False):
            loc = ".".join(str(x) for x in err.get("loc", ()))
            msgs.append(f"{loc}: {err['msg']}" if loc else str(err["msg"]))
        raise SettingsRefused("; ".join(msgs)) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
