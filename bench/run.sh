#!/usr/bin/env bash
# Run every benchmark in turn; results in $BENCH_DIR (default /tmp/warmbee-bench) as JSON and
# Markdown. Sizes: BENCH_SIZES=200000,1000000 (finder), BENCH_HTTP_SIZE=200000 (HTTP),
# BENCH_SECONDS=20 (per wrk run), BENCH_QUERIES=5000 (per finder case).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export BENCH_DIR=${BENCH_DIR:-/tmp/warmbee-bench}
SIZES=${BENCH_SIZES:-200000,1000000}
HTTP_SIZE=${BENCH_HTTP_SIZE:-200000}
SECONDS_PER_RUN=${BENCH_SECONDS:-20}
QUERIES=${BENCH_QUERIES:-5000}
mkdir -p "$BENCH_DIR"

command -v wrk >/dev/null || apt-get install -y -q wrk
command -v psql >/dev/null || { echo "PostgreSQL client (psql) needed" >&2; exit 1; }

run() {  # name, command…: tee the Markdown to $BENCH_DIR/<name>.md
  local name=$1; shift
  echo "== $name: $*" >&2
  "$@" | tee "$BENCH_DIR/$name.md"
}

run finder_knn "$PY" bench/finder_knn.py --sizes "$SIZES" --queries "$QUERIES"
run http_nearby "$PY" bench/http_nearby.py --size "$HTTP_SIZE" --seconds "$SECONDS_PER_RUN"
run checkin_write "$PY" bench/checkin_write.py --seconds "$SECONDS_PER_RUN"
run page_weight "$PY" bench/page_weight.py
echo "Results: $BENCH_DIR/*.md and *.json" >&2
