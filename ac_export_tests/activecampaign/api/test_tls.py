"""The shared TLS context: built once per CA bundle, always verifying, and new when the bundle changes."""

from __future__ import annotations

import shutil
import ssl
from pathlib import Path

import pytest

from ac_export.activecampaign.api.tls import verifying_context

SELF_SIGNED = Path(__file__).parents[2] / "support" / "tls" / "localhost-self-signed.pem"


def _subjects(context: ssl.SSLContext) -> list[object]:
    return [certificate["subject"] for certificate in context.get_ca_certs()]


def test_the_context_verifies_certificates_and_host_names() -> None:
    context = verifying_context()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_clients_share_one_context_for_the_same_bundle() -> None:
    assert verifying_context() is verifying_context()


def test_another_bundle_gets_a_context_that_trusts_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    default = verifying_context()
    bundle = tmp_path / "bundle.pem"
    shutil.copy(SELF_SIGNED, bundle)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    chosen = verifying_context()
    assert chosen is not default
    # The self-signed certificate is the only authority it trusts, as httpx's own default would.
    assert _subjects(chosen) == [((("commonName", "localhost"),),)]


def test_a_bundle_rewritten_in_place_is_read_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.pem"
    shutil.copy(SELF_SIGNED, bundle)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    first = verifying_context()
    bundle.write_text(SELF_SIGNED.read_text() + "\n")
    assert verifying_context() is not first
