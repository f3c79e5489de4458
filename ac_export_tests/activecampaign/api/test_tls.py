"""The shared TLS context: built once, always verifying, and trusting the bundle the environment names."""

from __future__ import annotations

import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from ac_export.activecampaign.api.tls import verifying_context

SELF_SIGNED = Path(__file__).parents[2] / "support" / "tls" / "localhost-self-signed.pem"


@pytest.fixture
def fresh_context() -> Iterator[None]:
    """Forget the process's context before and after, so the test sees the first build."""
    verifying_context.cache_clear()
    yield
    verifying_context.cache_clear()


def test_the_context_verifies_certificates_and_host_names() -> None:
    context = verifying_context()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_clients_share_one_context() -> None:
    assert verifying_context() is verifying_context()


@pytest.mark.usefixtures("fresh_context")
def test_the_bundle_named_by_ssl_cert_file_is_the_one_trusted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.pem"
    shutil.copy(SELF_SIGNED, bundle)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    trusted = [certificate["subject"] for certificate in verifying_context().get_ca_certs()]
    # The self-signed certificate is the only authority it trusts, as httpx's own default would.
    assert trusted == [((("commonName", "localhost"),),)]
