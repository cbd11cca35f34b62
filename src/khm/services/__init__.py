"""Services: open data through store queries, call the core, write back in one transaction."""
