"""The network client every probe, check and protocol client goes through.

Bounded, read-only, no redirects followed: a hostile server costs its timeout and nothing more.
"""
