"""gatescan.probes"""
