"""One verifying TLS context per CA bundle, shared by every client in the process.

httpx builds a context per client by reading the whole CA bundle (about 50 ms, far more under
load); an export, a preview and each Dagster step would pay it again for the same bundle.
Verification stays on: the context is httpx's own default, built once for each bundle.
"""

from __future__ import annotations

import functools
import os
import ssl

import httpx

# The variables httpx's default context honours (trust_env), in the order it reads them.
_BUNDLE_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


def verifying_context() -> ssl.SSLContext:
    """httpx's default verifying context for the CA bundle the environment names now."""
    bundle = tuple(os.environ.get(name, "") for name in _BUNDLE_VARIABLES)
    return _context_for(bundle, _stamp(bundle[0] or bundle[1]))


def _stamp(path: str) -> tuple[int, int]:
    """When and how big the bundle is: a bundle rewritten in place gets a context of its own."""
    try:
        status = os.stat(path) if path else None
    except OSError:
        status = None
    return (status.st_mtime_ns, status.st_size) if status else (0, 0)


@functools.lru_cache(maxsize=8)
def _context_for(bundle: tuple[str, ...], stamp: tuple[int, int]) -> ssl.SSLContext:
    del bundle, stamp  # the cache key; httpx reads the same variables itself
    return httpx.create_ssl_context()
