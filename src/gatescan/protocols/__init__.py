"""Protocols: minimal, read-only clients (OpenClaw's connect, MCP's initialize and tools/list) for the
deep checks, kept apart so a check says what to prove and never how to speak the product's protocol."""
