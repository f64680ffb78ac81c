"""Identification: fingerprints (data, validated on load) matched against bounded probes.

It turns an open endpoint into a Service (product, version, evidence); it knows nothing of scope.
"""
