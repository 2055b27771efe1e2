"""The scaled deployment (docker-compose.yml, deploy/) checked by parsing: no Docker engine needed.

Each rule is a function that returns the problems it finds. The tests assert that the real files
have none, and then hand every rule a deliberately broken copy to show the rule can fail: a rule
that passes on anything would be caught there.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from govlake.airflow_workers import CELERY_CONFIG_OPTIONS

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "airflow.Dockerfile"
DOCKERFILE_REL = "deploy/airflow.Dockerfile"
ENV_EXAMPLE = ROOT / "deploy" / ".env.example"
DOCKERIGNORE = ROOT / "deploy" / "airflow.Dockerfile.dockerignore"
PROJECT_DIR = "/opt/govlake"  # where the image installs govlake (editable): its PROJECT_ROOT
PROJECT_FOLDERS = ("dags", "catalog", "dbt_project", "quality")  # located from PROJECT_ROOT

LAKE_VOLUME = "govlake-lake"
AIRFLOW_SERVICES = {  # service → the airflow subcommand it runs
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
ONE_SHOT = {"airflow-init"}  # run to completion; everything else without a profile stays up
EXPECTED_SERVICES = {
    *AIRFLOW_SERVICES,
    *ONE_SHOT,
    "postgres",
    "redis",
    "ckan",
    "ckan-db",
    "solr",
    "ckan-redis",
}
BACKENDS = {"postgres", "redis", "ckan-db", "solr", "ckan-redis"}  # never published on the host
FLOATING_TAGS = {"latest", "stable", "edge", "main", "master", "nightly", "dev", "current"}
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|FERNET|HMAC|(^|_)KEY$", re.IGNORECASE)
SECRET_LITERAL_PREFIXES = {"", "string:"}  # CKAN's "string:<secret>" JWT secret syntax
# compose interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err},
# ${VAR:+alt}, ${VAR+alt} and bare $VAR; "$$" is a literal dollar for the container.
BRACED = re.compile(r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}")
BARE = re.compile(r"(?<!\$)\$(?P<name>[A-Za-z_][A-Za-z0-9_]*)")


# ── loading and normalising ─────────────────────────────────────────────────────────────────


def load_compose(text: str | None = None) -> dict:
    """The compose file as plain data: anchors merged, and (via JSON) no shared sub-objects,
    so a test can break one service without breaking the others that share an anchor."""
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8") if text is None else text)
    return json.loads(json.dumps(data))


def services(compose: dict) -> dict[str, dict]:
    return compose.get("services") or {}


def environment(svc: dict) -> dict[str, str]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def depends_on(svc: dict) -> dict[str, str]:
    deps = svc.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def volume_mounts(svc: dict) -> list[tuple[str, str]]:
    """(source, target) of every mount, short or long syntax."""
    out = []
    for vol in svc.get("volumes") or []:
        if isinstance(vol, dict):
            out.append((str(vol.get("source", "")), str(vol.get("target", ""))))
        else:
            parts = str(vol).split(":")
            out.append((parts[0], parts[1]) if len(parts) > 1 else ("", parts[0]))
    return out


def command_text(svc: dict) -> str:
    cmd = svc.get("command") or ""
    return " ".join(cmd) if isinstance(cmd, list) else str(cmd)


def long_running(compose: dict) -> dict[str, dict]:
    return {
        name: svc
        for name, svc in services(compose).items()
        if name not in ONE_SHOT and not svc.get("profiles")
    }


def airflow_services(compose: dict) -> dict[str, dict]:
    """Services that run the govlake Airflow image (built from deploy/airflow.Dockerfile)."""
    return {
        name: svc
        for name, svc in services(compose).items()
        if isinstance(svc.get("build"), dict) and svc["build"].get("dockerfile") == DOCKERFILE_REL
    }


def strip_interpolation(value: str) -> str:
    return BRACED.sub("x", value)


def url_host(url: str) -> str | None:
    return urlsplit(strip_interpolation(url)).hostname


def scalars(node, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string value (not key) with its path: what compose interpolates."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from scalars(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from scalars(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def split_image(ref: str) -> tuple[str, str | None, str | None]:
    """'registry:5000/name:tag@sha256:…' → (name, tag, digest)."""
    ref, _, digest = ref.partition("@")
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :], digest or None
    return ref, None, digest or None


def image_problems(where: str, ref: str) -> list[str]:
    _, tag, digest = split_image(ref)
    if "$" in ref:
        return [f"{where}: image {ref!r} is chosen by a variable, not pinned in the file"]
    if digest is not None:
        return [] if re.fullmatch(r"sha256:[0-9a-f]{64}", digest) else [f"{where}: bad digest"]
    if tag is None:
        return [f"{where}: image {ref!r} has no tag"]
    if tag.lower() in FLOATING_TAGS or not re.search(r"\d", tag):
        return [f"{where}: image {ref!r} has a floating tag, not a version"]
    return []


def dockerfile_code(text: str) -> str:
    """The Dockerfile without its comment lines (which mention commands they do not run)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def dockerfile_images(text: str) -> list[str]:
    text = dockerfile_code(text)
    froms = re.findall(r"^FROM\s+(?:--\S+\s+)*(\S+)", text, re.MULTILINE)
    copies = re.findall(r"--from=(\S+)", text)
    return froms + [c for c in copies if ":" in c or "/" in c]  # --from=<stage> is not an image


def lock_version(package: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return next(p["version"] for p in lock["package"] if p["name"] == package)


def python_minor() -> str:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return re.search(r"3\.\d+", pyproject["project"]["requires-python"]).group()


def env_example_names(text: str) -> tuple[list[str], list[str]]:
    """(names, problems): every non-comment line must be NAME= with no value."""
    names, problems = [], []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", line)
        if not match:
            problems.append(f".env.example line {n}: not NAME=: {line!r}")
            continue
        if match.group(2).strip():
            problems.append(f".env.example line {n}: {match.group(1)} has a value (names only)")
        if match.group(1) in names:
            problems.append(f".env.example line {n}: {match.group(1)} listed twice")
        names.append(match.group(1))
    return names, problems


# ── the rules ───────────────────────────────────────────────────────────────────────────────


def check_services(compose: dict) -> list[str]:
    missing = EXPECTED_SERVICES - set(services(compose))
    return [f"service {name} missing" for name in sorted(missing)]


def check_images_pinned(compose: dict) -> list[str]:
    problems = []
    for name, svc in services(compose).items():
        if not svc.get("image"):
            problems.append(f"{name}: no image (a built service still needs a versioned tag)")
            continue
        problems += image_problems(name, str(svc["image"]))
    return problems


def check_dockerfile_images_pinned(dockerfile: str) -> list[str]:
    images = dockerfile_images(dockerfile)
    problems = [] if images else ["Dockerfile: no FROM"]
    for ref in images:
        problems += image_problems("Dockerfile", ref)
    return problems


def check_airflow_image(compose: dict, dockerfile: str) -> list[str]:
    """Airflow services all run one image, tagged with the lock's Airflow version and the
    project's Python, built FROM the official image of exactly that tag."""
    version, py = lock_version("apache-airflow"), python_minor()
    expected_tag = f"{version}-python{py}"
    problems = []
    airflow = airflow_services(compose)
    for name in sorted((set(AIRFLOW_SERVICES) | ONE_SHOT) - set(airflow)):
        problems.append(f"{name}: not built from {DOCKERFILE_REL}")
    froms = re.findall(r"^FROM\s+(?:--\S+\s+)*(\S+)", dockerfile_code(dockerfile), re.MULTILINE)
    if len(froms) != 1 or split_image(froms[0])[:2] != ("apache/airflow", expected_tag):
        problems.append(f"Dockerfile FROM {froms} is not apache/airflow:{expected_tag}")
    for name, svc in airflow.items():
        _, tag, _ = split_image(str(svc.get("image", "")))
        if tag != expected_tag:
            problems.append(f"{name}: image tag {tag!r} != {expected_tag!r} (uv.lock, Dockerfile)")
        if svc["build"].get("context", ".") not in (".", "./"):
            problems.append(f"{name}: build context must be the repository root")
    return problems


def check_healthchecks(compose: dict) -> list[str]:
    problems = []
    for name, svc in long_running(compose).items():
        hc = svc.get("healthcheck") or {}
        test = hc.get("test")
        if hc.get("disable") or not test or test in (["NONE"], "NONE"):
            problems.append(f"{name}: long-running service without a healthcheck")
        if svc.get("restart") != "unless-stopped":
            problems.append(f"{name}: restart is {svc.get('restart')!r}, not unless-stopped")
    for name in ONE_SHOT & set(services(compose)):
        if services(compose)[name].get("restart") not in ("no", False):
            problems.append(f"{name}: a one-shot service must not restart")
    return problems


def check_airflow_commands(compose: dict) -> list[str]:
    problems = []
    for name, sub in AIRFLOW_SERVICES.items():
        cmd = command_text(services(compose).get(name, {})).removeprefix("airflow ")
        if cmd != sub:
            problems.append(f"{name}: runs {cmd!r}, expected airflow {sub}")
    init = command_text(services(compose).get("airflow-init", {}))
    for step in ("airflow db migrate", "airflow users create"):
        if step not in init:
            problems.append(f"airflow-init does not run {step!r}")
    return problems


def check_lake(compose: dict) -> list[str]:
    problems, targets = [], {}
    airflow = airflow_services(compose)
    if not airflow:
        problems.append("no Airflow service")
    if LAKE_VOLUME not in (compose.get("volumes") or {}):
        problems.append(f"named volume {LAKE_VOLUME} not declared")
    for name, svc in airflow.items():
        mounts = [t for s, t in volume_mounts(svc) if s == LAKE_VOLUME]
        if len(mounts) != 1:
            problems.append(f"{name}: {LAKE_VOLUME} mounted {len(mounts)} times")
            continue
        targets[name] = mounts[0]
        env = environment(svc)
        if env.get("GOVLAKE_LAKE_ROOT") != mounts[0]:
            problems.append(
                f"{name}: GOVLAKE_LAKE_ROOT={env.get('GOVLAKE_LAKE_ROOT')!r}, "
                f"but the lake is mounted at {mounts[0]}"
            )
        warehouse = env.get("GOVLAKE_WAREHOUSE_PATH")
        if warehouse is not None and not warehouse.startswith(mounts[0].rstrip("/") + "/"):
            problems.append(f"{name}: GOVLAKE_WAREHOUSE_PATH {warehouse} is outside the lake")
    if len(set(targets.values())) > 1:
        problems.append(f"the lake is mounted at different paths: {targets}")
    return problems


def check_executor(compose: dict) -> list[str]:
    problems = []
    svcs = services(compose)

    def image_of(host: str | None) -> str:
        return str(svcs.get(host or "", {}).get("image", ""))

    for name, svc in airflow_services(compose).items():
        env = environment(svc)
        if env.get("AIRFLOW__CORE__EXECUTOR") != "CeleryExecutor":
            problems.append(f"{name}: executor {env.get('AIRFLOW__CORE__EXECUTOR')!r}")
        if env.get("AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS") != CELERY_CONFIG_OPTIONS:
            problems.append(f"{name}: Celery workers would not preload Great Expectations")
        for key, kind, schemes in (
            ("AIRFLOW__CELERY__BROKER_URL", "redis", ("redis",)),
            ("AIRFLOW__CELERY__RESULT_BACKEND", "postgres", ("db+postgresql",)),
            ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgres", ("postgresql+psycopg2",)),
        ):
            url = env.get(key, "")
            host, scheme = url_host(url), urlsplit(strip_interpolation(url)).scheme
            if host not in svcs:
                problems.append(f"{name}: {key} points at {host!r}, which is no service")
            elif not split_image(image_of(host))[0].endswith(kind):
                problems.append(f"{name}: {key} points at {host}, which does not run {kind}")
            if scheme not in schemes:
                problems.append(f"{name}: {key} scheme {scheme!r} not in {schemes}")
        api = env.get("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "")
        parts = urlsplit(api)
        if command_text(svcs.get(parts.hostname or "", {})) != "api-server":
            problems.append(f"{name}: execution API {api!r} is not the api-server service")
        if parts.port != 8080 or not parts.path.startswith("/execution"):
            problems.append(f"{name}: execution API {api!r} is not :8080/execution/")
    return problems


def check_depends_on(compose: dict) -> list[str]:
    problems = []
    svcs = services(compose)
    for name, svc in svcs.items():
        for target, condition in depends_on(svc).items():
            if target not in svcs:
                problems.append(f"{name} depends on {target}, which is no service")
                continue
            if condition == "service_healthy" and not (svcs[target].get("healthcheck") or {}).get(
                "test"
            ):
                problems.append(f"{name} waits for {target} to be healthy; it has no healthcheck")
            if condition == "service_completed_successfully" and target not in ONE_SHOT:
                problems.append(f"{name} waits for {target} to exit, but it is long-running")
    must = {
        n: {
            "airflow-init": "service_completed_successfully",
            "postgres": "service_healthy",
            "redis": "service_healthy",
        }
        for n in AIRFLOW_SERVICES
    }
    must["airflow-init"] = {"postgres": "service_healthy", "redis": "service_healthy"}
    must["airflow-worker"]["airflow-apiserver"] = "service_healthy"  # it calls the execution API
    must["ckan"] = {t: "service_healthy" for t in ("ckan-db", "solr", "ckan-redis")}
    for name, needed in must.items():
        have = depends_on(svcs.get(name, {}))
        for target, condition in needed.items():
            if have.get(target) != condition:
                problems.append(
                    f"{name} must depend on {target} ({condition}), has {have.get(target)!r}"
                )
    return problems


def used_variables(compose: dict) -> tuple[set[str], list[str]]:
    names, problems = set(), []
    for path, value in scalars(compose):
        names |= {m["name"] for m in BRACED.finditer(value)}
        for m in BARE.finditer(BRACED.sub("", value)):
            names.add(m["name"])
            problems.append(
                f"{path}: bare ${m['name']} (write ${{{m['name']}}}, or $$ for the "
                "container's shell)"
            )
    return names, problems


def check_env_example(compose: dict, env_example: str) -> list[str]:
    used, problems = used_variables(compose)
    listed, more = env_example_names(env_example)
    problems += more
    problems += [
        f"${{{v}}} is used but not listed in deploy/.env.example"
        for v in sorted(used - set(listed))
    ]
    problems += [
        f"{v} is listed in deploy/.env.example but not used" for v in sorted(set(listed) - used)
    ]
    return problems


def secret_value_problems(where: str, value: str) -> list[str]:
    refs = list(BRACED.finditer(value))
    if not refs:
        return [f"{where}: secret given as a literal"]
    problems = []
    for m in refs:
        if m["op"] in ("-", ":-", "+", ":+") and m["arg"]:
            problems.append(f"{where}: secret ${{{m['name']}}} has a literal default/alternative")
    if BRACED.sub("", value) not in SECRET_LITERAL_PREFIXES:
        problems.append(f"{where}: secret mixes literal text with ${{…}}")
    return problems


def check_no_secret_literals(compose: dict) -> list[str]:
    problems = []
    blocks = [(f"services.{n}", s) for n, s in services(compose).items()]
    blocks += [(k, v) for k, v in compose.items() if k.startswith("x-") and isinstance(v, dict)]
    for where, block in blocks:
        for key, value in environment(block).items():
            if SECRET_NAME.search(key):
                problems += secret_value_problems(f"{where}.environment.{key}", value)
    for path, value in scalars(compose):
        for m in re.finditer(r"[a-z][a-z0-9+.-]*://[^:/@\s]+:([^@\s]*)@", value):
            problems += secret_value_problems(f"{path} (URL password)", m.group(1))
        for m in re.finditer(r"--password[= ]+(\S+)", value):
            if not m.group(1).strip("\"'").startswith("$"):
                problems.append(f"{path}: --password given as a literal")
    return problems


def check_backends_private(compose: dict) -> list[str]:
    return [
        f"{n}: a backend publishes ports on the host"
        for n in sorted(BACKENDS)
        if services(compose).get(n, {}).get("ports")
    ]


def check_project_folders(compose: dict, dockerfile: str, dockerignore: str) -> list[str]:
    """The folders govlake finds from PROJECT_ROOT are baked into the image (allowed by its
    .dockerignore) and bind-mounted from the working tree at the same place in every Airflow
    service, where Airflow's DAGS_FOLDER and GOVLAKE_REGISTER_DIR point."""
    problems = []
    code = dockerfile_code(dockerfile)
    allowed = {
        line.strip().rstrip("/")
        for line in dockerignore.splitlines()
        if line.strip().startswith("!")
    }
    for folder in PROJECT_FOLDERS:
        if not (ROOT / folder).is_dir():
            problems.append(f"{folder}/ does not exist in the repository")
        if not re.search(
            rf"^COPY\b.*\s{folder}/?\s+(\./{folder}|{PROJECT_DIR}/{folder})/?$", code, re.MULTILINE
        ):
            problems.append(f"Dockerfile does not copy {folder}/ into {PROJECT_DIR}")
        if f"!{folder}" not in allowed:
            problems.append(f"{folder}/ is excluded from the build context by the .dockerignore")
    for name, svc in airflow_services(compose).items():
        mounts = dict((t, s) for s, t in volume_mounts(svc))
        for folder in PROJECT_FOLDERS:
            if mounts.get(f"{PROJECT_DIR}/{folder}") not in (f"./{folder}", folder):
                problems.append(f"{name}: ./{folder} is not mounted at {PROJECT_DIR}/{folder}")
        env = environment(svc)
        if env.get("AIRFLOW__CORE__DAGS_FOLDER") != f"{PROJECT_DIR}/dags":
            problems.append(f"{name}: DAGS_FOLDER is not {PROJECT_DIR}/dags")
        if env.get("GOVLAKE_REGISTER_DIR") != f"{PROJECT_DIR}/catalog":
            problems.append(f"{name}: GOVLAKE_REGISTER_DIR is not {PROJECT_DIR}/catalog")
    if not re.search(rf"^WORKDIR\s+{PROJECT_DIR}\s*$", code, re.MULTILINE):
        problems.append(f"Dockerfile does not install the project from {PROJECT_DIR}")
    return problems


def check_dockerfile(dockerfile: str) -> list[str]:
    """Installs govlake from the lock with the Makefile's uv, bakes in no secret."""
    problems = []
    dockerfile = dockerfile_code(dockerfile)
    if not re.search(r"^COPY\b.*\buv\.lock\b", dockerfile, re.MULTILINE):
        problems.append("Dockerfile does not copy uv.lock")
    syncs = re.findall(r"\buv sync\b[^\n]*", dockerfile)
    if not syncs or not all("--frozen" in s and "--no-dev" in s for s in syncs):
        problems.append("Dockerfile does not install with `uv sync --frozen --no-dev`")
    if re.search(r"\b(pip|uv pip) install\b", dockerfile):
        problems.append("Dockerfile installs packages outside the lock")
    makefile_uv = re.search(
        r"^UV_VERSION\s*:?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.MULTILINE
    )
    uv_images = [i for i in dockerfile_images(dockerfile) if "astral-sh/uv" in i]
    if not makefile_uv or [split_image(i)[1] for i in uv_images] != [makefile_uv.group(1)]:
        problems.append(f"Dockerfile uv {uv_images} is not the Makefile's UV_VERSION")
    for m in re.finditer(r"^(?:ENV|ARG)\s+(.*)$", dockerfile, re.MULTILINE):
        for key in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", m.group(1)):
            if SECRET_NAME.search(key):
                problems.append(f"Dockerfile sets {key}: secrets belong in the environment")
    if re.search(r"^(COPY|ADD)\b.*\.env\b", dockerfile, re.MULTILINE):
        problems.append("Dockerfile copies an .env file")
    return problems


# ── the real files pass every rule ──────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return DOCKERFILE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def env_example() -> str:
    return ENV_EXAMPLE.read_text(encoding="utf-8")


def test_expected_services_exist(compose):
    assert check_services(compose) == []


def test_every_image_is_pinned(compose, dockerfile):
    assert check_images_pinned(compose) == []
    assert check_dockerfile_images_pinned(dockerfile) == []


def test_airflow_image_is_the_locked_version_built_from_the_official_one(compose, dockerfile):
    assert lock_version("apache-airflow") == "3.3.2"
    assert check_airflow_image(compose, dockerfile) == []


def test_long_running_services_have_healthchecks_and_restart(compose):
    assert check_healthchecks(compose) == []


def test_airflow_components_run_their_commands(compose):
    assert check_airflow_commands(compose) == []


def test_lake_volume_is_one_path_everywhere(compose):
    assert check_lake(compose) == []


def test_celery_executor_points_at_existing_services(compose):
    assert check_executor(compose) == []


def test_depends_on_targets_exist_and_wait_properly(compose):
    assert check_depends_on(compose) == []


def test_every_variable_is_in_env_example(compose, env_example):
    assert check_env_example(compose, env_example) == []


def test_no_secret_is_inlined(compose):
    assert check_no_secret_literals(compose) == []


def test_backends_are_not_published(compose):
    assert check_backends_private(compose) == []


def test_dockerfile_installs_from_the_lock(dockerfile):
    assert check_dockerfile(dockerfile) == []


def test_project_folders_are_baked_in_and_mounted(compose, dockerfile):
    assert check_project_folders(compose, dockerfile, DOCKERIGNORE.read_text()) == []


def test_no_env_file_is_tracked():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: cannot list tracked files")
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    env_files = [
        f
        for f in tracked
        if re.search(r"(^|/)\.env(\.[^/]*)?$", f) and not f.endswith(".env.example")
    ]
    assert env_files == []


def _compose_client() -> list[str] | None:
    """Compose v2 (`docker compose`): the legacy Python docker-compose 1.x predates the Compose
    Specification this file uses (top-level `name:`), so it does not count."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    return None


DUMMY_VALUES = {
    "AIRFLOW_UID": "50000",
    "GOVLAKE_BIND_ADDRESS": "127.0.0.1",
    "AIRFLOW_PORT": "8080",
    "CKAN_PORT": "5000",
    "AIRFLOW_WORKER_CONCURRENCY": "4",
}


@pytest.mark.skipif(
    _compose_client() is None,
    reason="the docker compose v2 client (docker CLI plugin) is not installed",
)
def test_docker_compose_config_accepts_the_file(tmp_path, env_example):
    """Compose's own validation, with every variable set to a dummy value (no engine needed)."""
    names, _ = env_example_names(env_example)
    env_file = tmp_path / "dummy.env"
    env_file.write_text(
        "".join(f"{n}={DUMMY_VALUES.get(n, f'dummy{i:04d}')}\n" for i, n in enumerate(names))
    )
    result = subprocess.run(
        [*_compose_client(), "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


# ── every rule can fail: broken copies are caught ───────────────────────────────────────────


def _svc(c: dict, name: str) -> dict:
    return c["services"][name]


def _env(c: dict, name: str) -> dict:
    return _svc(c, name)["environment"]


def _set_lake_mount(c: dict, name: str, target: str) -> None:
    svc = _svc(c, name)
    svc["volumes"] = [
        f"{LAKE_VOLUME}:{target}" if str(v).startswith(f"{LAKE_VOLUME}:") else v
        for v in svc["volumes"]
    ]


BREAKS: dict[str, tuple[Callable[..., list[str]], Callable[[dict], None]]] = {
    "service missing": (check_services, lambda c: c["services"].pop("airflow-triggerer")),
    "untagged image": (check_images_pinned, lambda c: _svc(c, "redis").update(image="redis")),
    "latest image": (check_images_pinned, lambda c: _svc(c, "solr").update(image="solr:latest")),
    "image by variable": (
        check_images_pinned,
        lambda c: _svc(c, "ckan").update(image="ckan/ckan-base:${TAG}"),
    ),
    "no healthcheck": (check_healthchecks, lambda c: _svc(c, "solr").pop("healthcheck")),
    "healthcheck disabled": (
        check_healthchecks,
        lambda c: _svc(c, "ckan").update(healthcheck={"disable": True}),
    ),
    "restart always": (check_healthchecks, lambda c: _svc(c, "redis").update(restart="always")),
    "init restarts": (
        check_healthchecks,
        lambda c: _svc(c, "airflow-init").update(restart="unless-stopped"),
    ),
    "wrong command": (
        check_airflow_commands,
        lambda c: _svc(c, "airflow-apiserver").update(command="webserver"),
    ),
    "init skips migrate": (
        check_airflow_commands,
        lambda c: _svc(c, "airflow-init").update(command="airflow version"),
    ),
    "lake elsewhere in one service": (
        check_lake,
        lambda c: _set_lake_mount(c, "airflow-worker", "/lake"),
    ),
    "lake root disagrees": (
        check_lake,
        lambda c: _env(c, "airflow-scheduler").update(GOVLAKE_LAKE_ROOT="/tmp/lake"),
    ),
    "lake not mounted": (check_lake, lambda c: _svc(c, "airflow-triggerer").update(volumes=[])),
    "warehouse outside lake": (
        check_lake,
        lambda c: _env(c, "airflow-worker").update(GOVLAKE_WAREHOUSE_PATH="/w.duckdb"),
    ),
    "local executor": (
        check_executor,
        lambda c: _env(c, "airflow-worker").update(AIRFLOW__CORE__EXECUTOR="LocalExecutor"),
    ),
    "no GX preload": (
        check_executor,
        lambda c: _env(c, "airflow-worker").pop("AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"),
    ),
    "broker on missing host": (
        check_executor,
        lambda c: _env(c, "airflow-scheduler").update(
            AIRFLOW__CELERY__BROKER_URL="redis://rabbit:6379/0"
        ),
    ),
    "broker on postgres": (
        check_executor,
        lambda c: _env(c, "airflow-scheduler").update(
            AIRFLOW__CELERY__BROKER_URL="redis://postgres:6379/0"
        ),
    ),
    "result backend on missing host": (
        check_executor,
        lambda c: _env(c, "airflow-worker").update(
            AIRFLOW__CELERY__RESULT_BACKEND="db+postgresql://airflow:${P:?x}@db/airflow"
        ),
    ),
    "execution API elsewhere": (
        check_executor,
        lambda c: _env(c, "airflow-worker").update(
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://airflow-scheduler:8080/execution/"
        ),
    ),
    "depends on nothing": (
        check_depends_on,
        lambda c: _svc(c, "ckan").update(depends_on={"nope": {}}),
    ),
    "waits on init to be healthy": (
        check_depends_on,
        lambda c: _svc(c, "airflow-scheduler")["depends_on"].update(
            {"airflow-init": {"condition": "service_healthy"}}
        ),
    ),
    "init not awaited": (
        check_depends_on,
        lambda c: _svc(c, "airflow-worker")["depends_on"].pop("airflow-init"),
    ),
    "unlisted variable": (
        check_env_example,
        lambda c: _env(c, "ckan").update(CKAN_EXTRA="${UNLISTED_VAR:-x}"),
    ),
    "bare variable": (
        check_env_example,
        lambda c: _svc(c, "airflow-worker").update(command="celery $QUEUE"),
    ),
    "literal password": (
        check_no_secret_literals,
        lambda c: _env(c, "ckan-db").update(POSTGRES_PASSWORD="hunter2"),
    ),
    "password with a default": (
        check_no_secret_literals,
        lambda c: _env(c, "postgres").update(POSTGRES_PASSWORD="${AIRFLOW_DB_PASSWORD:-airflow}"),
    ),
    "literal password in a URL": (
        check_no_secret_literals,
        lambda c: _env(c, "ckan").update(CKAN_SQLALCHEMY_URL="postgresql://ckan:ckan@ckan-db/ckan"),
    ),
    "literal token": (
        check_no_secret_literals,
        lambda c: _env(c, "airflow-worker").update(GOVLAKE_CKAN_TOKEN="eyJhbGciOi"),
    ),
    "literal admin password": (
        check_no_secret_literals,
        lambda c: _svc(c, "airflow-init").update(
            command=["bash", "-c", "airflow users create --password admin"]
        ),
    ),
    "published database": (
        check_backends_private,
        lambda c: _svc(c, "postgres").update(ports=["5432:5432"]),
    ),
}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_each_compose_rule_catches_its_break(case, compose, env_example):
    rule, breaker = BREAKS[case]
    broken = copy.deepcopy(compose)
    breaker(broken)
    problems = rule(broken, env_example) if rule is check_env_example else rule(broken)
    assert problems, f"{rule.__name__} missed: {case}"


ENV_EXAMPLE_BREAKS = {
    "value filled in": lambda t: t.replace("GOVLAKE_HMAC_KEY=", "GOVLAKE_HMAC_KEY=abc123"),
    "variable dropped": lambda t: t.replace("CKAN_JWT_SECRET=\n", ""),
    "stale variable": lambda t: t + "NO_LONGER_USED=\n",
    "duplicate": lambda t: t + "CKAN_PORT=\n",
}


@pytest.mark.parametrize("case", sorted(ENV_EXAMPLE_BREAKS))
def test_env_example_rule_catches_its_break(case, compose, env_example):
    broken = ENV_EXAMPLE_BREAKS[case](env_example)
    assert broken != env_example
    assert check_env_example(compose, broken)


DOCKERFILE_BREAKS = {
    "other airflow": (
        check_airflow_image,
        lambda t: t.replace(":3.3.2-python3.11", ":3.3.1-python3.11"),
    ),
    "other python": (
        check_airflow_image,
        lambda t: t.replace("3.3.2-python3.11", "3.3.2-python3.12"),
    ),
    "floating base": (
        check_dockerfile_images_pinned,
        lambda t: t.replace("apache/airflow:3.3.2-python3.11", "apache/airflow:latest"),
    ),
    "untagged uv": (
        check_dockerfile_images_pinned,
        lambda t: re.sub(r"astral-sh/uv:\S+", "astral-sh/uv", t),
    ),
    "uv not the Makefile's": (
        check_dockerfile,
        lambda t: re.sub(r"(astral-sh/uv:)\S+", r"\g<1>0.1.0", t),
    ),
    "not frozen": (check_dockerfile, lambda t: t.replace("--frozen", "")),
    "no lock": (check_dockerfile, lambda t: t.replace(" uv.lock", "")),
    "pip install": (check_dockerfile, lambda t: t + "\nRUN pip install requests\n"),
    "baked secret": (check_dockerfile, lambda t: t + "\nENV GOVLAKE_HMAC_KEY=abc\n"),
    "copies .env": (check_dockerfile, lambda t: t + "\nCOPY .env /opt/govlake/.env\n"),
}


@pytest.mark.parametrize("case", sorted(DOCKERFILE_BREAKS))
def test_dockerfile_rule_catches_its_break(case, compose, dockerfile):
    rule, breaker = DOCKERFILE_BREAKS[case]
    broken = breaker(dockerfile)
    assert broken != dockerfile
    problems = rule(compose, broken) if rule is check_airflow_image else rule(broken)
    assert problems, f"{rule.__name__} missed: {case}"


def test_project_folder_rule_catches_its_breaks(compose, dockerfile):
    ignore = DOCKERIGNORE.read_text()
    assert check_project_folders(compose, dockerfile.replace("quality ./quality", "x ./x"), ignore)
    assert check_project_folders(compose, dockerfile, ignore.replace("!quality/", ""))
    broken = copy.deepcopy(compose)
    _svc(broken, "airflow-dag-processor")["volumes"] = [
        v for v in _svc(broken, "airflow-dag-processor")["volumes"] if not v.startswith("./dags:")
    ]
    assert check_project_folders(broken, dockerfile, ignore)
    broken = copy.deepcopy(compose)
    _env(broken, "airflow-worker")["GOVLAKE_REGISTER_DIR"] = "/elsewhere"
    assert check_project_folders(broken, dockerfile, ignore)


def test_airflow_image_rule_catches_a_compose_tag_drift(compose, dockerfile):
    broken = copy.deepcopy(compose)
    _svc(broken, "airflow-scheduler")["image"] = "govlake-airflow:3.3.1-python3.11"
    assert check_airflow_image(broken, dockerfile)
    broken = copy.deepcopy(compose)
    _svc(broken, "airflow-worker")["build"]["dockerfile"] = "Dockerfile"
    assert check_airflow_image(broken, dockerfile)
