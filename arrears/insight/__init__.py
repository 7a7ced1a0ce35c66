"""Insight: judging collection from the system of record.

Measures defined once with their formulas (``measures``), the attribution
rule (``attribution``), SQL aggregates that compute them in the database
(``queries``, ``portfolio``, ``experiment_queries``), the scorecard file
(``scorecard``), champion/challenger arms (``experiment``) and their
statistics (``stats``), quality reviews and complaints (``feedback``), and
reports as tables, CSV, JSON and a self-contained HTML page with charts
(``report``, ``render``, ``charts``). docs/reports.md is the reference.
"""
