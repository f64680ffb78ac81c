"""gatescan.skills"""
