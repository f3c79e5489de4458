"""The throwaway PostgreSQL cluster of the tests (shared with the benchmarks, which start their own)."""

from benchmarks.postgres import PG_BIN, PostgresServer, running_postgres, unavailable_reason

__all__ = ["PG_BIN", "PostgresServer", "running_postgres", "unavailable_reason"]
