"""The command line: thin adapters that parse, call the core, render and map errors."""
