#!/bin/sh
# gen.sh regenerates web/console/assets/france.json, the console's base map:
# world-atlas from the npm registry (Natural Earth, public domain) for the
# overseas collectivities, and gregoiredavid/france-geojson at a pinned
# commit (IGN ADMIN EXPRESS COG, Licence Ouverte) for the departments and
# regions, given as a clone or checkout directory (FRANCE_GEOJSON=DIR) or
# cloned here. mapgen refuses a source whose SHA-256 is not the pinned one.
# Needs npm, git and go; run from the repository's root:
#   sh web/console/mapgen/gen.sh
set -eu
commit=5d34ee6d0140c29f785fdb047d9329f1aab58833
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent world-atlas@2.0.2 >/dev/null && tar xzf world-atlas-2.0.2.tgz)
src=${FRANCE_GEOJSON:-}
if [ -z "$src" ]; then
	git clone --quiet --filter=blob:none --no-checkout https://github.com/gregoiredavid/france-geojson "$tmp/fg-repo"
	src=$tmp/fg-repo
fi
mkdir "$tmp/fg"
for f in departements-avec-outre-mer.geojson regions-avec-outre-mer.geojson; do
	git -C "$src" show "$commit:$f" >"$tmp/fg/$f"
done
go run ./web/console/mapgen -france "$tmp/fg" -atlas "$tmp/package" -o web/console/assets/france.json
echo "wrote web/console/assets/france.json: $(wc -c <web/console/assets/france.json) bytes"
