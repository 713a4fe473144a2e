"""Checking links as a sharing debugger would: findings, the checker, its stream and
worker pool, the inputs ``ogpreview check`` reads, and batch jobs (``jobs``)."""
