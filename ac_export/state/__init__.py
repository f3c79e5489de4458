"""Shared export state: the ledger of each list and the per-account pacer (embedded backends)."""
