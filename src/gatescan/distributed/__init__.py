"""gatescan.distributed"""
