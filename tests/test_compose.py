"""docker-compose.yml is fit for production (no Docker engine runs here, so the file is checked as data):
no default secrets, ports on 127.0.0.1 only, health checks, start order on health, pinned images,
plugins mounted from ./plugins rather than downloaded at start-up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML is in the test extras: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[1]
SECRET_NAME = re.compile(r"PASSWORD|SECRET|KEY|AUTH|TOKEN", re.IGNORECASE)
REQUIRED_VAR = re.compile(r"\$\{(\w+):\?[^}]+\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    return {k: str(v) for k, v in env.items()}


def test_services(compose):
    assert set(compose["services"]) == {"neo4j", "tamga-api"}


def test_secrets_have_no_defaults_and_fail_fast(compose):
    for name, svc in compose["services"].items():
        for key, value in _env(svc).items():
            if SECRET_NAME.search(key):
                assert REQUIRED_VAR.search(value), f"{name}.{key} must come from a required ${{VAR:?message}}"
                assert ":-" not in value and not re.search(r"\$\{\w+-", value), f"{name}.{key} has a default"
    neo = _env(compose["services"]["neo4j"])
    assert neo["NEO4J_AUTH"].startswith("neo4j/${NEO4J_PASSWORD:?")
    api = _env(compose["services"]["tamga-api"])
    assert api["NEO4J_PASSWORD"].startswith("${NEO4J_PASSWORD:?")
    assert api["TAMGA_SECRET_KEY"].startswith("${TAMGA_SECRET_KEY:?")
    assert neo["NEO4J_AUTH"].lower() != "none"


def test_ports_only_on_loopback(compose):
    for name, svc in compose["services"].items():
        for p in svc.get("ports", []):
            if isinstance(p, dict):
                assert p.get("host_ip") == "127.0.0.1", f"{name}: {p}"
            else:
                assert str(p).startswith("127.0.0.1:"), f"{name} publishes {p} beyond this machine"
    assert compose["services"]["tamga-api"]["ports"] == ["127.0.0.1:8000:8000"]


def test_health_checks_and_start_order(compose):
    neo, api = compose["services"]["neo4j"], compose["services"]["tamga-api"]
    for svc in (neo, api):
        hc = svc["healthcheck"]
        assert hc["test"] and hc["test"][0] in ("CMD", "CMD-SHELL")
        assert hc["interval"] and hc["timeout"] and hc["retries"] >= 3
    assert "cypher-shell" in " ".join(neo["healthcheck"]["test"])
    assert "/healthz" in " ".join(api["healthcheck"]["test"])
    assert api["depends_on"] == {"neo4j": {"condition": "service_healthy"}}


def test_images_are_pinned(compose):
    image = compose["services"]["neo4j"]["image"]
    m = re.fullmatch(r"neo4j:(5\.\d+\.\d+)-community", image)
    assert m, f"pin an exact Neo4j 5 Community tag, not {image!r}"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    froms = re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE)
    assert froms and all(re.fullmatch(r"python:3\.12\.\d+-slim(-\w+)?", f) for f in froms), froms


def test_plugins_are_mounted_not_downloaded(compose):
    neo = compose["services"]["neo4j"]
    env = _env(neo)
    assert not any(k.startswith("NEO4J_PLUGINS") or k == "NEO4JLABS_PLUGINS" for k in env)
    assert "./plugins:/plugins:ro" in neo["volumes"]
    assert "apoc.*" in env["NEO4J_dbms_security_procedures_unrestricted"]
    assert "gds.*" in env["NEO4J_dbms_security_procedures_unrestricted"]
    # the README names jars whose versions match the image
    version = re.fullmatch(r"neo4j:(5\.\d+\.\d+)-community", neo["image"])[1]
    readme = (ROOT / "plugins" / "README.md").read_text(encoding="utf-8")
    assert f"apoc-{version}-core.jar" in readme
    minor = ".".join(version.split(".")[:2])
    assert re.search(r"neo4j-graph-data-science-2\.\d+\.\d+\.jar", readme)
    assert f"neo4j:{version}-community" in readme and minor == "5.26"


def test_named_volumes_for_data_and_logs(compose):
    neo = compose["services"]["neo4j"]
    assert "neo4j-data:/data" in neo["volumes"] and "neo4j-logs:/logs" in neo["volumes"]
    assert {"neo4j-data", "neo4j-logs"} <= set(compose["volumes"])


def test_api_service(compose):
    api = compose["services"]["tamga-api"]
    env = _env(api)
    assert env["TAMGA_STORE"] == "neo4j"
    assert env["NEO4J_URI"] == "bolt://neo4j:7687"
    assert env["TAMGA_ENV"] == "production"
    assert api["build"]["context"] == "." and api["build"]["dockerfile"] == "Dockerfile"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'pip install "?\.(\[[\w,-]+\])?"?', dockerfile)
    assert 'CMD ["tamga", "serve", "--host", "0.0.0.0", "--port", "8000"]' in dockerfile
    assert re.search(r"^USER\s+(?!root)\w+", dockerfile, re.MULTILINE), "the API must not run as root"


def test_dockerignore_keeps_the_context_small():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for pattern in (".git", ".venv", "**/node_modules", "plugins", "*.grafeo"):
        assert pattern in ignored
