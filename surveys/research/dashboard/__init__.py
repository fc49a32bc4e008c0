"""The per-survey dashboard: charts and tables read through the small-cell rule."""
