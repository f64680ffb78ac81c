"""Distributed scans on Celery with a Redis broker: workers inside each network segment take a JSON
scan request off their vantage's queue and run the same scan API as the CLI (app.py); the
dispatcher splits a scan into shards per vantage and merges what comes back (report/merge.py).

The package needs the `[distributed]` extra (celery[redis]); nothing outside it imports Celery."""
