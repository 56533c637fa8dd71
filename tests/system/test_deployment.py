"""The deployment files, read as Docker and Compose would (no Docker engine runs here): secrets
and data stay out of the image and the repository, the image runs from the lock as a non-root
user, and the services restart, authenticate and wait for a database that takes writes."""

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            found.append((instruction.upper(), arguments.strip()))
    return found


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile()
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def env_file(name: str) -> dict[str, str]:
    pairs = {}
    for line in (ROOT / "deploy" / name).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def ignored_by_git(path: str) -> bool:
    result = subprocess.run(
        ["git", "check-ignore", "--quiet", "--no-index", path], cwd=ROOT, check=False
    )
    return result.returncode == 0


class TestImage:
    def test_builds_in_two_stages_from_the_hashed_lock(self) -> None:
        instructions = dockerfile()
        stages = [arguments for name, arguments in instructions if name == "FROM"]
        assert len(stages) == 2
        assert stages[0].endswith(" AS build")
        runs = " ".join(arguments for name, arguments in instructions if name == "RUN")
        assert "pip install --require-hashes --no-deps -r requirements.lock" in runs
        assert "--no-build-isolation --no-index ." in runs
        assert ("COPY", "--from=build /opt/rpai /opt/rpai") in final_stage()

    def test_runs_as_a_non_root_user_with_a_data_volume(self) -> None:
        stage = final_stage()
        users = [arguments for name, arguments in stage if name == "USER"]
        assert users == ["rpai"]
        assert ("VOLUME", "/data") in stage
        names = [name for name, _ in stage]
        assert names.index("USER") < names.index("CMD")
        assert "useradd --system --uid 10001" in " ".join(a for n, a in stage if n == "RUN")

    def test_healthcheck_asks_readyz(self) -> None:
        [check] = [arguments for name, arguments in final_stage() if name == "HEALTHCHECK"]
        assert "http://127.0.0.1:8000/readyz" in check
        assert "/healthz" not in check

    def test_the_build_context_leaves_out_secrets_and_local_state(self) -> None:
        patterns = {
            line.strip()
            for line in (ROOT / ".dockerignore").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        }
        assert {".venv", "data", ".git", "*.env", ".env", "deploy", "artifacts"} <= patterns


class TestLock:
    def test_pins_exactly_what_pyproject_pins_with_hashes(self) -> None:
        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        text = (ROOT / "requirements.lock").read_text()
        locked = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", text, flags=re.M))
        locked = {name.lower().replace("_", "-"): version for name, version in locked.items()}
        for requirement in project["dependencies"]:
            name, version = re.sub(r"\[.*\]", "", requirement).split("==")
            assert locked.get(name.lower().replace("_", "-")) == version, requirement
        assert "setuptools" in locked, "the build backend, for the build without an index"
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 6)[-1])
        for block in blocks:
            if "==" in block:
                assert "--hash=sha256:" in block, block.splitlines()[0]


class TestCompose:
    def test_every_service_restarts(self) -> None:
        for name, service in compose()["services"].items():
            assert service.get("restart") in ("always", "unless-stopped"), name

    def test_the_api_takes_its_secrets_from_an_env_file_that_is_never_committed(self) -> None:
        api = compose()["services"]["api"]
        assert api["env_file"] == [{"path": "deploy/rpai.env", "required": True}]
        assert ignored_by_git("deploy/rpai.env")
        assert ignored_by_git("deploy/mongo.env")
        assert not ignored_by_git("deploy/rpai.env.example")
        example = env_file("rpai.env.example")
        for setting in (
            "RPAI_JWT_SECRET",
            "RPAI_PUBLIC_URL",
            "RPAI_SMTP_HOST",
            "RPAI_SMTP_PORT",
            "RPAI_SMTP_USERNAME",
            "RPAI_SMTP_PASSWORD",
            "RPAI_SMTP_FROM",
            "FORWARDED_ALLOW_IPS",
        ):
            assert example.get(setting), setting
        url = example["MONGODB_URL"]
        assert re.fullmatch(r"mongodb://rpai:[^@]+@mongo:27017/retail_performer\?\S+", url)
        assert "replicaSet=rs0" in url
        assert "authSource=admin" in url

    def test_the_api_publishes_the_api_only_and_waits_for_a_primary(self) -> None:
        api = compose()["services"]["api"]
        assert api["ports"] == ["8000:8000"]
        assert api["environment"]["RPAI_METRICS_HOST"] == "0.0.0.0"
        assert api["volumes"] == ["rpai-data:/data"]
        assert api["depends_on"]["mongo"]["condition"] == "service_healthy"

    def test_mongodb_authenticates_and_is_healthy_only_with_a_primary(self) -> None:
        mongo = compose()["services"]["mongo"]
        assert mongo["env_file"] == [{"path": "deploy/mongo.env", "required": True}]
        example = env_file("mongo.env.example")
        for setting in (
            "MONGO_INITDB_ROOT_USERNAME",
            "MONGO_INITDB_ROOT_PASSWORD",
            "RPAI_MONGO_USERNAME",
            "RPAI_MONGO_PASSWORD",
        ):
            assert example.get(setting), setting
        assert example["RPAI_MONGO_PASSWORD"] in env_file("rpai.env.example")["MONGODB_URL"]
        command = mongo["command"]
        assert command[command.index("--replSet") + 1] == "rs0"
        assert command[command.index("--keyFile") + 1] == "/data/configdb/replica.key"
        check = " ".join(mongo["healthcheck"]["test"])
        assert "rs.initiate(" in check
        assert "if (!db.hello().isWritablePrimary) quit(1)" in check
        assert "$$MONGO_INITDB_ROOT_PASSWORD" in check
        init = (ROOT / "deploy" / "mongo-init" / "create-rpai-user.js").read_text()
        assert "roles: [{ role: 'readWrite', db: 'retail_performer' }]" in init
        entrypoint = (ROOT / "deploy" / "mongo-entrypoint.sh").read_text()
        assert 'chmod 400 "$keyfile"' in entrypoint
        assert "exec docker-entrypoint.sh" in entrypoint


@pytest.mark.parametrize("words", ["FORWARDED_ALLOW_IPS", "--proxy-headers"])
def test_the_readme_tells_how_to_run_behind_a_load_balancer(words: str) -> None:
    assert words in (ROOT / "README.md").read_text()
