"""deploy/: the settings file lists exactly the settings, the compose stack registers exactly our search
attributes and parses, the image is sound, and the scale settings reach the worker and the engine."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from pydantic import TypeAdapter

from arrears import PROJECT_ROOT
from arrears.runtime import search_attributes as sa
from arrears.config.settings import Settings

DEPLOY = PROJECT_ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / ".env.example"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
# Where the image puts the project (PROJECT_ROOT inside the containers).
IMAGE_ROOT = "/app"

ENTRY = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$")


def setting_env_names() -> dict[str, str]:
    """Environment variable -> Settings field."""
    names = {}
    for field, info in Settings.model_fields.items():
        for alias in info.validation_alias.choices:
            names[alias] = field
    return names


def env_example() -> list[tuple[int, str, str]]:
    """(line number, variable, value) of every `VAR=value` line, commented out or not."""
    found = []
    for number, line in enumerate(ENV_EXAMPLE.read_text(encoding="utf-8").splitlines(), 1):
        if m := ENTRY.match(line.strip()):
            found.append((number, m.group(1), m.group(2).strip()))
    return found


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def stack_values() -> dict[str, str | None]:
    """Settings the stack sets itself: compose's `${VAR:-value}` for every Arrears container, the image's ENV.

    None: the stack requires the user to set it (`${VAR:?...}`).
    """
    values: dict[str, str | None] = {}
    for line in DOCKERFILE.read_text(encoding="utf-8").split("\nENV ")[1:]:
        for var, value in re.findall(r"((?:ARREARS|TEMPORAL)_[A-Z0-9_]*)=(\S+)", line.split("\n\n")[0]):
            values[var] = value
    for var, value in compose()["x-arrears"]["environment"].items():
        m = re.fullmatch(r"\$\{(\w+)(:-|:\?)(.*)\}", value)
        assert m and m.group(1) == var, f"compose x-arrears {var}: {value} should be ${{{var}:-default}} (deploy/.env overrides it)"
        values[var] = m.group(3) if m.group(2) == ":-" else None
    return values


# ---- deploy/.env.example ---------------------------------------------------------------------------


def test_env_example_lists_every_setting_once_and_nothing_else():
    entries = env_example()
    listed = [var for _, var, _ in entries]
    settings = setting_env_names()
    assert not set(settings) - set(listed), f"deploy/.env.example lacks settings: {sorted(set(settings) - set(listed))}"
    assert not set(listed) - set(settings), f"deploy/.env.example names no setting: {sorted(set(listed) - set(settings))}"
    assert len(listed) == len(set(listed)), f"listed twice: {sorted({v for v in listed if listed.count(v) > 1})}"


def test_every_entry_has_a_comment_and_is_commented_out():
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for number, var, _ in env_example():
        assert lines[number - 1].startswith("# "), f"line {number}: {var} is set; the example only shows values"
        above = lines[number - 2]
        assert above.startswith("# ") and not ENTRY.match(above), f"line {number}: {var} has no comment above it"


def _as_setting(field: str, value: str):
    info = Settings.model_fields[field]
    if value == "":
        return None
    if value.startswith(IMAGE_ROOT + "/"):
        value = str(PROJECT_ROOT / value[len(IMAGE_ROOT) + 1:])
    return TypeAdapter(info.annotation).validate_python(value)


def test_each_value_is_the_default_or_the_stacks_own():
    settings = setting_env_names()
    stack = stack_values()
    for number, var, value in env_example():
        field = settings[var]
        if var in stack:
            expected = stack[var]
            if expected is None:  # required by the stack: left empty for the user
                assert value == "", f"line {number}: {var} must be left for the user to set"
            else:
                assert value == expected, f"line {number}: {var}={value}, but the stack sets {expected}"
            continue
        default = Settings.model_fields[field].default
        if default == "":
            default = None
        assert _as_setting(field, value) == default, f"line {number}: {var}={value}, but the default is {default!r}"


def test_every_stack_value_is_a_setting_that_validates():
    settings = setting_env_names()
    for var, value in stack_values().items():
        assert var in settings, f"the stack sets {var}, which is no setting"
        if value:
            _as_setting(settings[var], value)


# ---- deploy/compose.yaml ---------------------------------------------------------------------------


def test_the_stack_has_its_services_and_pins_its_images():
    services = compose()["services"]
    for name in ("temporal-db", "temporal-schema", "temporal", "temporal-namespace", "search-attributes", "temporal-ui",
                 "record-db", "migrate", "worker", "api", "codec-server"):
        assert name in services, f"compose.yaml has no {name} service"
    for name, service in services.items():
        image = service["image"]
        if image.startswith("arrears:"):  # ours, built from deploy/Dockerfile
            continue
        repository, _, tag = image.rpartition(":")
        assert tag and tag != "latest" and re.fullmatch(r"\d+(\.\d+)+", tag), f"{name}: pin {image} to a version"
    temporal = {services[s]["image"].split(":")[1] for s in ("temporal", "temporal-schema", "search-attributes")}
    assert len(temporal) == 1, f"the server and admin-tools versions differ: {temporal}"


def test_the_arrears_services_run_our_commands_from_one_image():
    services = compose()["services"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["worker"]["command"] == ["worker"]
    assert services["api"]["command"][0] == "api" and "0.0.0.0" in services["api"]["command"]
    assert services["codec-server"]["command"][0] == "codec-server"
    assert services["codec-server"]["profiles"] == ["codec"]
    assert {services[s]["image"] for s in ("migrate", "worker", "api", "codec-server")} == {"arrears:${ARREARS_IMAGE_TAG:-local}"}
    assert services["worker"]["deploy"]["replicas"] == "${ARREARS_WORKERS:-2}"
    for name in ("worker", "api"):
        after = services[name]["depends_on"]
        assert after["migrate"]["condition"] == after["search-attributes"]["condition"] == "service_completed_successfully"
    # The record is a database of its own, apart from Temporal's.
    assert services["record-db"]["environment"]["POSTGRES_DB"] == "arrears"
    assert "record-db" in stack_values()["ARREARS_DATABASE_URL"]


def test_the_stack_registers_exactly_our_search_attributes_with_their_types():
    assert set(sa.KINDS) == set(sa.ALL), "every search attribute needs a kind in arrears/runtime/search_attributes.py KINDS"
    script = compose()["services"]["search-attributes"]["command"][0]
    registered = re.findall(r"temporal operator search-attribute create --name (\w+) --type (\w+)", script)
    expected = [(key.name, kind) for key, kind in sa.KINDS.items()]
    lines = "\n".join(f"temporal operator search-attribute create --name {n} --type {k} || registered {n}"
                      for n, k in expected)
    assert sorted(registered) == sorted(expected), f"deploy/compose.yaml search-attributes should run:\n{lines}"


def test_the_dynamic_config_partitions_our_task_queue():
    config = yaml.safe_load((DEPLOY / "temporal" / "dynamicconfig.yaml").read_text(encoding="utf-8"))
    default_queue = Settings.model_fields["task_queue"].default
    for key in ("matching.numTaskqueueReadPartitions", "matching.numTaskqueueWritePartitions"):
        assert config[key][0]["constraints"]["taskQueueName"] == default_queue
    mount = compose()["services"]["temporal"]["volumes"][0]
    assert mount.startswith("./temporal/dynamicconfig.yaml:")


def _docker_compose_problem() -> str | None:
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    try:
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`docker compose version` did not run: {exc}"
    if probe.returncode != 0:
        return f"`docker compose version` failed (no compose plugin?): {(probe.stderr or probe.stdout).strip()[:200]}"
    return None


def test_docker_compose_accepts_the_file():
    problem = _docker_compose_problem()
    if problem:
        pytest.skip(f"docker compose config not checked: {problem}")
    env = {**os.environ, "ARREARS_DATABASE_PASSWORD": "x"}  # the stack refuses to start without one
    done = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 0, done.stderr


# ---- the image -------------------------------------------------------------------------------------


def test_the_image_is_slim_runs_as_a_user_and_starts_arrears():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and not users[-1].startswith(("root", "0")), "the processes must not run as root"
    assert re.search(r'^ENTRYPOINT \["arrears"\]', text, re.M)
    assert "pyproject.toml" in text and "pip install" in text
    ignored = (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for path in (".venv", ".arrears", ".demo", ".git", "**/.env", "**/*.db", "**/*.log", "**/.pytest_cache"):
        assert path in ignored, f".dockerignore should leave out {path}"


# ---- scale settings reach the worker and the engine ---------------------------------------------


def test_worker_slots_reach_the_worker(monkeypatch, tmp_path):
    from arrears.runtime import worker as runner

    captured = {}

    class FakeWorker:
        def __init__(self, client, **kwargs):
            captured.update(kwargs)

    monkeypatch.setattr(runner, "Worker", FakeWorker)
    settings = Settings(ARREARS_DATABASE_URL=f"sqlite:///{tmp_path / 'a.db'}", ARREARS_WORKER_MAX_ACTIVITIES=7,
                        ARREARS_WORKER_MAX_LOCAL_ACTIVITIES=11, ARREARS_WORKER_MAX_WORKFLOW_TASKS=13,
                        ARREARS_MAX_CACHED_WORKFLOWS=17, ARREARS_BUILD_ID="test")
    runner.build_worker(object(), settings)
    assert captured["max_concurrent_activities"] == 7
    assert captured["activity_executor"]._max_workers == 7
    assert captured["max_concurrent_local_activities"] == 11
    assert captured["max_concurrent_workflow_tasks"] == 13
    assert captured["max_cached_workflows"] == 17
    captured["activity_executor"].shutdown()


def test_the_defaults_keep_the_sdks_slots():
    s = Settings()
    assert (s.worker_max_activities, s.worker_max_local_activities, s.worker_max_workflow_tasks) == (32, 100, 100)
    assert (s.database_pool_size, s.database_max_overflow) == (10, 20)


def test_the_pool_settings_reach_create_engine():
    from arrears.db.engine import engine_for

    engine = engine_for(Settings(ARREARS_DATABASE_URL="postgresql+psycopg://arrears@record-db:5432/arrears",
                                 ARREARS_DATABASE_POOL_SIZE=7, ARREARS_DATABASE_MAX_OVERFLOW=3))
    assert engine.pool.size() == 7 and engine.pool._max_overflow == 3
    engine.dispose()


def test_the_api_uses_the_configured_pool(monkeypatch, tmp_path):
    import arrears.api.app as api_app

    seen = []
    real = api_app.engine_for
    monkeypatch.setattr(api_app, "engine_for", lambda settings: seen.append(settings) or real(settings))
    settings = Settings(ARREARS_DATABASE_URL=f"sqlite:///{tmp_path / 'a.db'}", ARREARS_DATABASE_POOL_SIZE=5,
                        ARREARS_EVIDENCE_DIR=str(tmp_path / "evidence"))
    api_app.create_app(settings, client=None)
    assert seen == [settings]


@pytest.mark.parametrize("var, value", [("ARREARS_WORKER_MAX_WORKFLOW_TASKS", "1"), ("ARREARS_WORKER_MAX_ACTIVITIES", "0"),
                                        ("ARREARS_DATABASE_POOL_SIZE", "0"), ("ARREARS_DATABASE_MAX_OVERFLOW", "-1")])
def test_slot_and_pool_settings_refuse_nonsense(var, value):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=var):
        Settings(**{var: value})


def test_paths_under_the_image_root_map_to_the_project():
    assert _as_setting("strategy", f"{IMAGE_ROOT}/strategies/default.toml") == Path(PROJECT_ROOT / "strategies" / "default.toml")


# ---- docs/deploy.md ----------------------------------------------------------------------------------

# Variables of deploy/compose.yaml itself (interpolated there), not Arrears settings.
COMPOSE_KNOBS = {"ARREARS_WORKERS", "ARREARS_IMAGE_TAG", "ARREARS_API_PORT", "ARREARS_CODEC_PORT", "TEMPORAL_UI_PORT",
                 "TEMPORAL_DB_PASSWORD"}


def test_the_deploy_guide_names_only_real_settings_and_knobs():
    text = (PROJECT_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\b((?:ARREARS|TEMPORAL)_[A-Z0-9_]*[A-Z0-9])\b", text))
    settings = set(setting_env_names())
    assert not named - settings - COMPOSE_KNOBS, f"docs/deploy.md names no such setting: {sorted(named - settings - COMPOSE_KNOBS)}"
    compose_text = COMPOSE.read_text(encoding="utf-8")
    for knob in COMPOSE_KNOBS:
        assert "${" + knob + ":-" in compose_text, f"{knob} is no variable of deploy/compose.yaml"
    assert "(docs/deploy.md)" in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
