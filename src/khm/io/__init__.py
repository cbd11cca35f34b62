"""Reading and writing the files other tools produce: CSV sniffing (encoding, separator)
and the cell parsers (numbers, dates, countries, booleans, handles) used by the importer."""
