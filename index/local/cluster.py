"""``make cluster-up`` / ``cluster-down`` / ``cluster-status``: a production-like Airflow on this machine.

PostgreSQL holds the metadata (and Celery's results), Redis is the Celery broker, and six daemons run in the
background: api-server, scheduler, dag-processor and two Celery workers (``airflow celery worker``). Each
writes ``$AIRFLOW_HOME/cluster/<component>.log`` and ``<component>.pid``; ``down`` stops them by process group
(SIGTERM, then SIGKILL). All of them get the one environment built by ``environment()``: on other machines,
the same settings, the same secrets file and the same lake and log folder make the same cluster
(docs/deployment.md).

    python -m index.local.cluster up | down | status | env

Stdlib only at import: Airflow runs in the child processes; psycopg is imported only to create the database.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from index.config import REPO_ROOT
from index.local import airflow as airflow_local

DEFAULT_HOME = REPO_ROOT / ".airflow-cluster"
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/dei_airflow"
DEFAULT_BROKER = "redis://127.0.0.1:6379/7"
DEFAULT_USERS = "admin:admin,dataops:op,economist:viewer"
DEFAULT_WORKERS = 2
DEFAULT_WORKER_LOG_PORT = 8794  # 8793, Airflow's default, is the log server of `make airflow`'s scheduler
VISIBILITY_TIMEOUT = 21600  # 6 h: longer than any DEI task, so Redis never hands a running task to a second worker
START_TIMEOUT = 120  # seconds for every component to be up (the api-server answering, the workers ready)
STOP_TIMEOUT = 30  # seconds between SIGTERM and SIGKILL; a worker finishes its running task first
PASSWORDS_FILE = "simple_auth_manager_passwords.json.generated"


class ClusterError(Exception):
    """A problem with a clear message for the person who ran the command."""


@dataclass(frozen=True)
class Component:
    name: str
    args: tuple[str, ...]
    env: dict


# --------------------------------------------------------------------------------------------------- settings


def home_of(env: dict | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("AIRFLOW_HOME") or DEFAULT_HOME).resolve()


def workers_count(env: dict) -> int:
    raw = env.get("DEI_CELERY_WORKERS") or str(DEFAULT_WORKERS)
    if not raw.isdigit() or int(raw) < 1:
        raise ClusterError(f"DEI_CELERY_WORKERS must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def _int_setting(env: dict, name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    if not raw.isdigit():
        raise ClusterError(f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def environment(base: dict | None = None) -> dict[str, str]:
    """The settings every component shares (the workers add only their log-server port)."""
    base = dict(os.environ if base is None else base)
    home = home_of(base)
    port = _int_setting(base, "AIRFLOW_PORT", airflow_local.DEFAULT_PORT)
    db = base.get("DEI_AIRFLOW_DB") or DEFAULT_DB
    if not db.startswith("postgresql"):
        raise ClusterError(f"DEI_AIRFLOW_DB must be a PostgreSQL SQLAlchemy URL (postgresql+psycopg://…), not {db!r}")
    # the Makefile exports make run's SQLite and LocalExecutor settings: this cluster's own win, not those
    base["AIRFLOW_HOME"] = str(home)
    base["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = db
    user_parallelism = base.get("AIRFLOW__CORE__PARALLELISM")
    env = airflow_local.environment(home=home, port=port, base=base)
    api_url = (base.get("DEI_AIRFLOW_API_URL") or f"http://127.0.0.1:{port}").rstrip("/")
    logs = Path(base.get("DEI_AIRFLOW_LOGS") or home / "logs").resolve()
    env.update(
        {
            "DEI_LAKE": _lake(base.get("DEI_LAKE")),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            # Airflow 3.3 derives the async URL as postgresql+asyncpg, which is not installed: psycopg 3 does both
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": _async_url(db),
            # the broker queues what the workers cannot take yet: the limit is their concurrency, not the cores
            "AIRFLOW__CORE__PARALLELISM": user_parallelism or "32",
            "AIRFLOW__CELERY__BROKER_URL": base.get("DEI_CELERY_BROKER") or DEFAULT_BROKER,
            "AIRFLOW__CELERY__RESULT_BACKEND": base.get("DEI_CELERY_RESULT_BACKEND") or "db+" + db,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(_int_setting(base, "DEI_CELERY_CONCURRENCY", 1)),
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api_url}/execution/",
            "AIRFLOW__API__BASE_URL": api_url,
            # one folder for every component's task logs: on several machines, a shared mount
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(logs),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": base.get("DEI_AIRFLOW_USERS") or DEFAULT_USERS,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / PASSWORDS_FILE),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "GX_ANALYTICS_ENABLED": "False",
        }
    )
    return env


def _lake(value: str | None) -> str:
    """DEI_LAKE for every component: an object-store URL as given, a folder made absolute (cwd differs)."""
    if value and "://" in value:
        return value
    return str(Path(value or REPO_ROOT / "data_lake").resolve())


def _async_url(url: str) -> str:
    """The same database through psycopg 3's async driver, whatever sync driver the URL names."""
    return "postgresql+psycopg_async://" + url.split("://", 1)[1]


def components(env: dict) -> list[Component]:
    """What runs, in start order; each worker has its own Celery name, log-server port and (for an
    object-store lake) lake cache."""
    airflow = airflow_local._airflow()
    api = (airflow, "api-server", "--port", env["AIRFLOW__API__PORT"], "--host", env["AIRFLOW__API__HOST"])
    result = [
        Component("api-server", api, env),
        Component("scheduler", (airflow, "scheduler"), env),
        Component("dag-processor", (airflow, "dag-processor"), env),
    ]
    first_port = _int_setting(env, "DEI_WORKER_LOG_PORT", DEFAULT_WORKER_LOG_PORT)
    for i in range(1, workers_count(env) + 1):
        worker_env = dict(env, AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(first_port + i - 1))
        if "://" in env.get("DEI_LAKE", "") and not env.get("DEI_LAKE_CACHE"):
            # an object-store lake: each worker its own local cache, as on its own machine (nothing shared
            # on this disk hides a task that reads what another worker left only in its cache)
            worker_env["DEI_LAKE_CACHE"] = str(Path(env["AIRFLOW_HOME"]) / "lake-cache" / f"worker-{i}")
        args = (airflow, "celery", "worker", "--celery-hostname", f"dei-worker-{i}@%h")
        result.append(Component(f"worker-{i}", args, worker_env))
    return result


# --------------------------------------------------------------------------------------------------- database


def _conninfo(url: str, dbname: str) -> str:
    """A libpq conninfo for the server of SQLAlchemy URL ``url``, connecting to ``dbname``."""
    from psycopg.conninfo import make_conninfo

    parts = urllib.parse.urlsplit(url)
    params = dict(urllib.parse.parse_qsl(parts.query))
    given = dict(
        host=parts.hostname,
        port=parts.port,
        user=urllib.parse.unquote(parts.username) if parts.username else None,
        password=urllib.parse.unquote(parts.password) if parts.password else None,
    )
    return make_conninfo(dbname=dbname, **{k: v for k, v in given.items() if v}, **params)


def database_name(url: str) -> str:
    name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.lstrip("/"))
    if not name:
        raise ClusterError(f"DEI_AIRFLOW_DB names no database: {url!r}")
    return name


def create_database(url: str) -> bool:
    """Create the database of ``url`` when it is missing; True when it was created."""
    import psycopg
    from psycopg import sql

    name = database_name(url)
    try:
        with psycopg.connect(_conninfo(url, "postgres"), autocommit=True, connect_timeout=10) as conn:
            if conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
                return False
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
            return True
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ClusterError(f"PostgreSQL of DEI_AIRFLOW_DB: {first}") from None


def _check_broker(url: str) -> None:
    """A clear message when nothing listens where the broker should be (else each worker retries forever)."""
    parts = urllib.parse.urlsplit(url)
    defaults = {"redis": 6379, "rediss": 6379, "amqp": 5672, "pyamqp": 5672}
    if parts.scheme not in defaults:
        return
    host, port = parts.hostname or "127.0.0.1", parts.port or defaults[parts.scheme]
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise ClusterError(f"no Celery broker at {host}:{port} (DEI_CELERY_BROKER): {exc.strerror or exc}") from None


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            raise ClusterError(f"port {port} is taken: stop what listens there or set AIRFLOW_PORT") from None


# --------------------------------------------------------------------------------------------------- processes


def cluster_dir(env: dict) -> Path:
    return Path(env["AIRFLOW_HOME"]) / "cluster"


def _start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot): with the pid, it tells a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def running_pid(pid_file: Path) -> int | None:
    """The pid in ``pid_file`` when that very process still runs."""
    try:
        pid_text, started = pid_file.read_text().split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    return pid if _start_time(pid) == started else None


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``: a task process may have left its group, not its parent."""
    children, found, todo = _children_map(), [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    from index.files import process_alive

    return process_alive(pid)


def _kill(pids, sig: int, groups=()) -> None:
    for pgid in groups:
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            pass
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _log_offset(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _tail(path: Path, since: int = 0, lines: int = 25) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(since)
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return "    (no log)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:]) or "    (empty log)"


def _spawn(component: Component, folder: Path) -> int:
    log = folder / f"{component.name}.log"
    with open(log, "ab") as out:
        out.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} cluster-up starts {component.name}\n".encode())
        out.flush()
        # its own session: no terminal signal reaches it, and down stops its whole group
        proc = subprocess.Popen(
            component.args,
            env=component.env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=component.env["AIRFLOW_HOME"],
        )
    (folder / f"{component.name}.pid").write_text(f"{proc.pid} {_start_time(proc.pid)}\n")
    return proc.pid


def _migrate(env: dict, folder: Path) -> None:
    log = folder / "migrate.log"
    with open(log, "w", encoding="utf-8") as out:
        code = subprocess.run(
            [airflow_local._airflow(), "db", "migrate"], env=env, stdout=out, stderr=subprocess.STDOUT
        ).returncode
    if code:
        raise ClusterError(f"airflow db migrate failed (exit {code}); the end of {log}:\n{_tail(log)}")


def _api_healthy(env: dict) -> bool:
    url = f"http://127.0.0.1:{env['AIRFLOW__API__PORT']}/api/v2/monitor/health"
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:
            return resp.status == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False


def _ready(component: Component, folder: Path, since: int) -> bool:
    if component.name == "api-server":
        return _api_healthy(component.env)
    if component.name.startswith("worker-"):
        # Celery's own line once it consumes from the broker
        try:
            with open(folder / f"{component.name}.log", "rb") as fh:
                fh.seek(since)
                return b" ready." in fh.read()
        except OSError:
            return False
    return True  # scheduler, dag-processor: alive is all there is to see


# --------------------------------------------------------------------------------------------------- commands


def up(env: dict, timeout: float = START_TIMEOUT) -> int:
    folder = cluster_dir(env)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # the api-server's log holds the login passwords it generates
    Path(env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"]).mkdir(parents=True, exist_ok=True)
    db = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    every = components(env)
    already = {c.name for c in every if running_pid(folder / f"{c.name}.pid")}
    if already == {c.name for c in every}:
        print("cluster already running:")
        return status(env)
    _check_broker(env["AIRFLOW__CELERY__BROKER_URL"])
    if "api-server" not in already:
        _check_port_free(env["AIRFLOW__API__HOST"], int(env["AIRFLOW__API__PORT"]))
    if create_database(db):
        print(f"created database {database_name(db)}")
    _migrate(env, folder)

    started: dict[str, tuple[int, int]] = {}  # name -> (pid, log offset before the start)
    try:
        for component in every:
            if component.name in already:
                continue
            offset = _log_offset(folder / f"{component.name}.log")
            started[component.name] = (_spawn(component, folder), offset)
        _wait_until_up(every, started, folder, timeout)
    except KeyboardInterrupt:
        _stop_named(folder, list(started))  # Ctrl-C during the start leaves no half cluster behind
        raise
    # Airflow writes the login passwords world-readable
    passwords = Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    if passwords.exists():
        passwords.chmod(0o600)

    for component in every:
        pid = running_pid(folder / f"{component.name}.pid")
        state = "already running" if component.name in already else "started"
        log = f"{_shown(folder)}/{component.name}.log"
        print(f"{component.name:<14} {state:<16} pid {pid:<7} {_describe(component)}  log {log}")
    print(_login_line(env))
    return 0


def _wait_until_up(every: list[Component], started: dict, folder: Path, timeout: float) -> None:
    """Until every started component is ready; a ClusterError (the others stopped) when one dies or hangs."""
    waiting = {c.name: c for c in every if c.name in started}
    grace = time.monotonic() + 10  # a component that dies at once dies within seconds
    deadline = time.monotonic() + timeout
    while waiting or time.monotonic() < grace:
        for name, (pid, offset) in started.items():
            if not _alive(pid):
                _stop_named(folder, list(started))
                raise ClusterError(
                    f"{name} exited at start; the end of {folder / (name + '.log')}:\n"
                    f"{_tail(folder / f'{name}.log', offset)}\nstopped the components this start had started"
                )
        for name in [n for n, c in waiting.items() if _ready(c, folder, started[n][1])]:
            del waiting[name]
        if waiting and time.monotonic() > deadline:
            _stop_named(folder, list(started))
            name = sorted(waiting)[0]
            raise ClusterError(
                f"{', '.join(sorted(waiting))} not ready after {timeout:.0f} s; the end of {name}.log:\n"
                f"{_tail(folder / f'{name}.log', started[name][1])}\nstopped the components this start had started"
            )
        time.sleep(0.5)


def _describe(component: Component) -> str:
    env = component.env
    if component.name == "api-server":
        return env["AIRFLOW__API__BASE_URL"]
    if component.name.startswith("worker-"):
        return (
            f"celery {component.args[-1].replace('%h', socket.gethostname())}, concurrency {env['AIRFLOW__CELERY__WORKER_CONCURRENCY']}, "
            f"log server :{env['AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT']}"
        )
    return ""


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _login_line(env: dict) -> str:
    users = ", ".join(
        f"{u.split(':')[0]} ({u.split(':')[1]})"
        for u in env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].split(",")
        if ":" in u
    )
    return f"login at {env['AIRFLOW__API__BASE_URL']} as {users}; passwords in {env['AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE']}"


def _stop_named(folder: Path, names: list[str], timeout: float = STOP_TIMEOUT) -> list[str]:
    """SIGTERM the groups (and every descendant) of the named components, SIGKILL what is left after
    ``timeout``; returns the names that were running."""
    targets: dict[str, tuple[int, list[int]]] = {}
    for name in names:
        pid = running_pid(folder / f"{name}.pid")
        if pid is not None:
            targets[name] = (pid, descendants(pid))  # before any signal: orphans are reparented away
    for pid, below in targets.values():
        _kill(below, signal.SIGTERM, groups=[pid])
    deadline = time.monotonic() + timeout
    everyone = [p for pid, below in targets.values() for p in [pid, *below]]
    while time.monotonic() < deadline and any(_alive(p) for p in everyone):
        time.sleep(0.3)
    for pid, below in targets.values():
        _kill([pid, *below, *descendants(pid)], signal.SIGKILL, groups=[pid])
    for name in names:
        (folder / f"{name}.pid").unlink(missing_ok=True)
    return list(targets)


def down(env: dict) -> int:
    folder = cluster_dir(env)
    names = [c.name for c in reversed(components(env))]  # workers first: nothing new is handed out
    names += sorted(p.stem for p in folder.glob("*.pid") if p.stem not in names)  # e.g. a third worker, since
    stopped = _stop_named(folder, names)
    print(f"stopped: {', '.join(reversed(stopped))}" if stopped else "cluster not running")
    return 0


def status(env: dict) -> int:
    """One line per component; exit 0 when all run, 3 when some, 1 when none."""
    folder = cluster_dir(env)
    running = 0
    every = components(env)
    for component in every:
        pid = running_pid(folder / f"{component.name}.pid")
        running += pid is not None
        state = f"running  pid {pid:<7}" if pid else "stopped             "
        print(f"{component.name:<14} {state} {_describe(component)}")
    if running:
        print(_login_line(env))
    return 0 if running == len(every) else (3 if running else 1)


def _print_env(env: dict) -> int:
    keys = sorted(k for k in env if k.startswith(("AIRFLOW", "DEI_")) or k == "GX_ANALYTICS_ENABLED")
    print("\n".join(f"export {k}={shlex.quote(env[k])}" for k in keys))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    commands = {"up": up, "down": down, "status": status, "env": _print_env}
    if len(argv) != 1 or argv[0] not in commands:
        print("usage: python -m index.local.cluster up|down|status|env", file=sys.stderr)
        return 2
    try:
        return commands[argv[0]](environment())
    except ClusterError as exc:
        print(f"cluster-{argv[0]}: {exc}", file=sys.stderr)
        return 1
    except SystemExit:
        raise
    except KeyboardInterrupt:
        print(f"cluster-{argv[0]}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `... env | head`: the reader has gone, nothing to tell anyone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # never a traceback for the user: one line, the rest in a file
        log = home_of() / "cluster" / "cluster-command.log"
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(traceback.format_exc())
        except OSError:
            log = None
        print(f"cluster-{argv[0]}: unexpected {type(exc).__name__}: {exc} (details in {log})", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
