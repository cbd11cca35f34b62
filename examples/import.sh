#!/bin/sh
# Import the example CRM export in this folder into a database.
#   sh examples/import.sh                 # into ./example.db
#   sh examples/import.sh path/to/team.db # or any SQLite path / PostgreSQL URL
# Reps first (accounts name their owner, touches their rep), then accounts, then touches.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DB=${1:-example.db}
export KHM_DATABASE_URL="$DB"
export KHM_METHOD="$HERE/method.toml"

# reps.csv: Latin-1 (cp1252), comma-separated, Swedish headers. The handle is made from
# the name: "Åsa Lindqvist" -> asa.lindqvist.
khm import reps "$HERE/reps.csv" \
  --map name=Namn --map email=E-post --map role=Roll --map capacity=Kapacitet

# accounts.csv: Nordic Excel (UTF-8 with BOM, ';' separator, decimal commas, digit groups
# with spaces), country names in Swedish/local spelling, product lines split on | or ;,
# the NPS column kept as the custom numeric field "nps".
khm import accounts "$HERE/accounts.csv" \
  --map key=Kundnr --map name=Företag --map country=Land \
  --map product_lines=Produktlinjer --map "revenue=Omsättning (SEK)" \
  --map employees=Anställda --map "owner=Ansvarig säljare" \
  --map lifecycle_stage=Fas --map custom.nps=NPS

# touches.csv: UTF-8, dd.mm.yyyy dates, CRM activity names mapped to the method's kinds
# ("Visit" -> visit by itself; "E-mail" and "Roadmap review" need a value map).
# Re-running this line changes nothing: touches already there are skipped.
khm import touches "$HERE/touches.csv" \
  --map kind=Activity \
  --value-map kind:E-mail=email --value-map "kind:Roadmap review=review"

khm account list
