"""Batch check jobs: the store interface and the in-process store (``base``), and the
store on Redis Streams (``redis``), which imports only the base."""
