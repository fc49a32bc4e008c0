"""Police records in the browser: upload a city's CSV, map it, import it as counts."""
