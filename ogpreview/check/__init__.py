"""Checking links as a sharing debugger would: findings, the checker, its stream and
worker pool, the inputs ``ogpreview check`` reads (and where each link is in them), which
findings a report shows (``filters``, ``config``), the report formats (``formats``), and
batch jobs (``jobs``)."""
