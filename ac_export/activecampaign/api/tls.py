"""One verifying TLS context, shared by every client in the process.

httpx builds a context per client by reading the whole CA bundle (about 50 ms, far more under
load); an export, a preview and each Dagster step would pay it again for the same bundle.
Verification stays on: the context is httpx's own default (which honours `SSL_CERT_FILE` and
`SSL_CERT_DIR`), built once, so the bundle is read when the process makes its first client.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def verifying_context() -> ssl.SSLContext:
    """httpx's default verifying context, built on first use and shared from then on."""
    return httpx.create_ssl_context()
