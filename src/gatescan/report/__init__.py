"""gatescan.report"""
