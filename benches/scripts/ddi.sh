#!/usr/bin/env bash
# The DDI whole-process benchmarks (issue 3): builds in release, then runs
#   1. a SHA-256-verified 1 GiB download, ddi-client vs `curl -s | openssl dgst -sha256`
#   2. peak memory of a 64 MiB vs a 1 GiB download
#   3. gateway polling of 10,000 controllers, ddi-client vs the hawkbit crate 0.7.2
# and prints the figures (lines starting with RESULT are the ratios and verdicts).
# Every server and client is its own process on 127.0.0.1; nothing leaves loopback.
#
# Environment knobs (defaults in brackets): DDI_BENCH_RUNS [7] download runs per side,
# DDI_BENCH_MEM_RUNS [3], DDI_BENCH_GW_RUNS [3], DDI_BENCH_GW_COUNT [10000],
# DDI_BENCH_GW_CONCURRENCY [64], DDI_BENCH_GW_ROUNDS [3].
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
if ((${#missing[@]})); then
    echo "installing the baseline tools: ${missing[*]}"
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq && apt-get install -y -qq "${missing[@]}"
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq "${missing[@]}"
    fi
fi

# hawkbit 0.7.2 keeps one connection per controller: 10,000 sockets on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cargo build --release -p benches --bins
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bench="${target_dir:-target}/release/ddi_bench"

echo "== machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== $(curl --version | head -1 | cut -d' ' -f1-2), $(openssl version | cut -d' ' -f1-2)"
"$bench" download --runs "${DDI_BENCH_RUNS:-7}"
"$bench" memory --runs "${DDI_BENCH_MEM_RUNS:-3}"
"$bench" gateway --count "${DDI_BENCH_GW_COUNT:-10000}" \
    --concurrency "${DDI_BENCH_GW_CONCURRENCY:-64}" \
    --rounds "${DDI_BENCH_GW_ROUNDS:-3}" --runs "${DDI_BENCH_GW_RUNS:-3}"
