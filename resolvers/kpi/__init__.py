"""KPI rules: the daily sync, the rollups kept with it, the reads (entries, summaries,
reconciliation), live updates and their feed; every tenant filter from `scope`."""
