"""Running everything locally: `make demo` and `make dev`, both against the local emulator."""
