"""The services a cluster's Airflow stands on: Postgres (the metadata database, in its own data folder, run as the
`postgres` user when started as root), Redis (the Celery broker) and a moto S3 server with one bucket."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from deploy.cluster_record import BIN, BUCKET, ClusterError, ClusterRecord, wait_until, write_private
from deploy.processes import HOST


def start_postgres(cluster: ClusterRecord) -> None:
    bindir = _postgres_bindir()
    folder = cluster.root / "postgres"
    as_pg = _as_postgres()
    if as_pg and subprocess.run([*as_pg, "test", "-x", str(cluster.root)], capture_output=True).returncode:
        # A checkout under a folder the postgres user may not enter (/root/…): its data goes to /tmp.
        folder = Path(tempfile.mkdtemp(prefix="budget-cluster-postgres-"))
        (cluster.root / "postgres").symlink_to(folder)
    else:
        folder.mkdir(mode=0o700)
    data, sockets, log = folder / "data", folder / "run", folder / "postgres.log"
    sockets.mkdir()
    pwfile = folder / "pwfile"
    write_private(pwfile, cluster.secrets["postgres_password"] + "\n")
    if os.geteuid() == 0:
        for path in (folder, sockets, pwfile):
            shutil.chown(path, "postgres", "postgres")
    cluster.run(
        "initdb",
        [*as_pg, str(bindir / "initdb"), "-D", str(data), "-U", "airflow", f"--pwfile={pwfile}",
         "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions"],
    )  # fmt: skip
    pwfile.unlink()
    options = (
        f"-c listen_addresses={HOST} -c port={cluster.state['ports']['postgres']} "
        f"-c unix_socket_directories={shlex.quote(str(sockets))}"
    )
    cluster.state["postgres"] = {
        "folder": str(folder), "data": str(data), "bindir": str(bindir), "log": str(log), "as": as_pg,
    }  # fmt: skip
    cluster.save()
    cluster.run(
        "pg_ctl start", [*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
                         "-o", options, "start"]
    )  # fmt: skip
    cluster.state["postgres"]["pid"] = int((data / "postmaster.pid").read_text().split()[0])
    cluster.save()
    import psycopg2

    con = psycopg2.connect(
        host=HOST, port=cluster.state["ports"]["postgres"], user="airflow",
        password=cluster.secrets["postgres_password"], dbname="postgres",
    )  # fmt: skip
    con.autocommit = True
    with con.cursor() as cursor:
        cursor.execute("create database airflow")
    con.close()


def postgres_running(cluster: ClusterRecord) -> bool:
    postgres = cluster.state.get("postgres") or {}
    if not postgres:
        return False
    done = subprocess.run(
        [*postgres["as"], str(Path(postgres["bindir"]) / "pg_ctl"), "-D", postgres["data"], "status"],
        capture_output=True,
    )
    return done.returncode == 0


def stop_postgres(cluster: ClusterRecord, say: Callable[[str], object]) -> None:
    """Stop Postgres if it runs, and remove its folder if that is outside the root."""
    if postgres_running(cluster):
        postgres = cluster.state["postgres"]
        subprocess.run(
            [*postgres["as"], str(Path(postgres["bindir"]) / "pg_ctl"), "-D", postgres["data"], "-m", "fast",
             "-w", "stop"],
            check=True, capture_output=True,
        )  # fmt: skip
        say(f"postgres: stopped (pid {postgres.get('pid')})")
    remove_postgres_fallback(cluster)


def remove_postgres_fallback(cluster: ClusterRecord) -> None:
    """Remove Postgres's fallback folder outside the root (see start_postgres), so that it is not left behind."""
    folder = Path((cluster.state.get("postgres") or {}).get("folder") or cluster.root / "postgres")
    if folder.is_relative_to(tempfile.gettempdir()):
        shutil.rmtree(folder, ignore_errors=True)


def start_redis(cluster: ClusterRecord) -> None:
    folder = cluster.root / "redis"
    folder.mkdir()
    port, password = cluster.state["ports"]["redis"], cluster.secrets["redis_password"]
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    # The password on the command line is for this machine's root only: /proc/<pid>/cmdline of a process
    # is readable by anyone, so it is passed in a config file instead.
    conf = folder / "redis.conf"
    write_private(
        conf,
        f"bind {HOST}\nport {port}\nprotected-mode yes\nrequirepass {password}\n"
        f'save ""\nappendonly no\ndir {folder}\n',
    )
    cluster.spawn("redis", [server, str(conf)], cluster.base_env(), folder)

    def ping():
        with socket.create_connection((HOST, port), timeout=2) as s:
            s.sendall(f"AUTH {password}\r\nPING\r\n".encode())
            time.sleep(0.1)
            return b"+PONG" in s.recv(100)

    wait_until("redis", ping, 30, cluster.log("redis"))


def start_s3(cluster: ClusterRecord) -> None:
    folder = cluster.root / "s3"
    folder.mkdir()
    port = cluster.state["ports"]["s3"]
    cluster.spawn("s3", [str(BIN / "moto_server"), "-H", HOST, "-p", str(port)], cluster.base_env(), folder)
    wait_until(
        "moto S3 server",
        lambda: urllib.request.urlopen(f"{cluster.s3_endpoint}/", timeout=2),
        60,
        cluster.log("s3"),
    )
    import boto3

    boto3.client(
        "s3", endpoint_url=cluster.s3_endpoint, region_name="us-east-1",
        aws_access_key_id=cluster.secrets["s3_access_key"], aws_secret_access_key=cluster.secrets["s3_secret_key"],
    ).create_bucket(Bucket=BUCKET)  # fmt: skip
    cluster.state["s3"] = {"endpoint": cluster.s3_endpoint, "bucket": BUCKET}
    cluster.save()


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _postgres_bindir() -> Path:
    """Debian's newest /usr/lib/postgresql/<version>/bin, else wherever initdb is on PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ClusterError("PostgreSQL is not installed (apt-get install postgresql)")
