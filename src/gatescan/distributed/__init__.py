"""Distributed scans (the Celery app, its tasks, the dispatcher; empty until the distributed issue):
workers take a JSON scan request off a broker and run the same scan API as the CLI (app.py)."""
