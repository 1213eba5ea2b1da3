"""The studio: an HTTP API, a persistent render queue and live events in front of reelgraph's
documents, database and engines (`reelgraph ui`, `reelgraph worker`).

Importing this package imports nothing heavy: the worker (worker.py) runs without FastAPI, and
the web app (app.py) is imported only by the commands that serve it.
"""
