"""A local S3-compatible server for tests: moto's server mode on a free 127.0.0.1 port, a bucket per test."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

REGION = "us-east-1"


@dataclass
class S3Server:
    """A running moto server and the AWS variables that point obstore (and boto3) at it."""

    endpoint: str

    def environment(self) -> dict[str, str]:
        """Variables for a process using this server (test credentials: moto accepts any)."""
        return {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ALLOW_HTTP": "true",  # the local server speaks plain HTTP; real endpoints are https
        }

    def create_bucket(self) -> str:
        """A new, empty bucket; returns its name."""
        import boto3

        name = f"wh-{uuid.uuid4().hex[:12]}"
        boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket=name)
        return name


@contextlib.contextmanager
def running_s3() -> Iterator[S3Server]:
    """Start moto's server in a thread of this process, yield it, stop it."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        server.stop()
