"""gatescan.checks"""
