"""What a check run needs besides the network client (net.client.Client carries the limits and
counts the probes): names that exist nowhere, for tools, rebinding hosts and wrong secrets.
"""

from __future__ import annotations

import secrets


def random_token(prefix: str = "gatescan") -> str:
    """A name that exists nowhere: tool names, rebinding hosts, wrong secrets."""
    return f"{prefix}-{secrets.token_hex(6)}"
