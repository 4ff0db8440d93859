#!/usr/bin/env bash
# The whole benchmark table in one command: builds the release binary, runs the three benchmark commands
# (ingest / replay / streams / fan-out; hub -> hub sync; TAXII vs medallion), prints one table with each
# figure next to its baseline from the same run, and writes all figures to bench.json.
# usage: scripts/bench.sh [--readers N] [--stalled N] [--seconds N]   (extra flags go to `stixhub bench`)
# Needs ../shared/data (the corpora) and a Python with medallion for the TAXII row (.venv from .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
out=$(mktemp -d)
bin=./target/release/stixhub
py=${STIXHUB_PYTHON:-.venv/bin/python}
"$bin" bench --json "$out/main.json" "$@"
"$bin" bench --sync --json "$out/sync.json"
if "$py" -c "import medallion" 2>/dev/null; then
  STIXHUB_PYTHON="$py" "$bin" bench-taxii --json "$out/taxii.json"
else
  echo "bench.sh: no medallion in $py (run .ci/run first): TAXII row skipped" >&2
fi
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
figures = []
for name in ("main", "sync", "taxii"):
    path = os.path.join(out, name + ".json")
    if os.path.exists(path):
        data = json.load(open(path))
        figures.extend(data if isinstance(data, list) else [dict(data, figure="taxii")])
json.dump(figures, open("bench.json", "w"), indent=2)
print("\n== all figures (bench.json)")
for f in figures:
    name = f.get("figure", "?")
    rest = {k: v for k, v in f.items() if k != "figure" and not isinstance(v, (dict, list))}
    print(f"{name:>14}: " + ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in rest.items()))
PY
