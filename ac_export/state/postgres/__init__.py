"""The PostgreSQL state backend: ledgers, in-flight queues and the account pacer shared by every host."""
