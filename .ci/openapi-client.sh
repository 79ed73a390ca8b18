#!/usr/bin/env bash
# A client generated from http/openapi.yaml must type-check: installs the
# pinned openapi-typescript and typescript (.ci/openapi-client/package.json
# and its lock, with `npm ci`) into a temporary folder, generates the
# document's types, and runs tsc --strict on them and on a file that uses
# a few (.ci/openapi-client/use.ts). Fails if any step does.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null 2>&1; then
	echo "npm missing: installing Debian's nodejs and npm"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp .ci/openapi-client/package.json .ci/openapi-client/package-lock.json .ci/openapi-client/use.ts "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
"$work/node_modules/.bin/openapi-typescript" http/openapi.yaml --output "$work/api.d.ts"
"$work/node_modules/.bin/tsc" --strict --noEmit --target es2022 --module esnext --moduleResolution bundler \
	"$work/api.d.ts" "$work/use.ts"
echo "openapi-client: the client generated from http/openapi.yaml type-checks"
