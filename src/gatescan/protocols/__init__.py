"""gatescan.protocols"""
