-- The export state (ledgers, in-flight queues, pacer windows) in its own database on the same server;
-- ac_export creates its tables on first use.
CREATE DATABASE ac_export_state OWNER dagster;
