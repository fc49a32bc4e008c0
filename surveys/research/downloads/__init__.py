"""Downloads: suppressed aggregate tables, row-level data, codebooks and regression reports."""
