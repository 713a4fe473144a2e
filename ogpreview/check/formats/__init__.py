"""The report formats of ``ogpreview check``: lines (table, csv, jsonl) and CI documents
(JUnit XML, SARIF, GitHub Actions annotations, an HTML page)."""
