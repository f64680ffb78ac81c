"""The network client every probe, check and protocol client goes through (client.Client).

Bounded, read-only, no redirects followed, every exchange recorded as it went on the wire:
a hostile server costs its timeout and nothing more.
"""
