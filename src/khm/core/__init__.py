"""The pure core: plain data and a date in, plain data out. No database, terminal or clock."""
