"""Fetching: the only code that touches the network.

``guard`` decides which addresses may be dialled (``is_blocked``), ``policy`` which URLs
may be asked for, ``resolver`` turns names into addresses, ``fetcher`` dials and reads under
those checks on every hop, and ``response`` is what it hands back. Above it, for a card:
``imageprobe`` sizes an image, ``cardguard`` drops the URLs a client would load that the
guard refuses, ``enrich`` runs those and oEmbed, and ``page`` is one fill's fetch (page,
extraction, enrichment) as the entry to cache.
"""
