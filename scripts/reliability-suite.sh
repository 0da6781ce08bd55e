#!/usr/bin/env bash
# The reliability suite (README.md, "Reliability"): the tests of src/test/java/dev/speakerembedding/reliability,
# which cause real faults to real Liberty processes (SIGKILL mid-download, two servers on one cache, a misbehaving
# Hub, read-only and full volumes, damaged cache files, 10,000 fuzzed WAVs, oversized/slow/concurrent clients, a
# soak at 80 % of capacity, token and TLS checks), then prints every figure they recorded.
#
#   scripts/reliability-suite.sh            the whole suite (the long scenarios included; roughly an hour on 2 cores)
#   scripts/reliability-suite.sh --quick    only the part that `mvn verify` runs too (a few minutes)
#   scripts/reliability-suite.sh -- -Dit.test=SoakScenario      extra Maven arguments after --
#
# Environment: FUZZ_CASES (10000), FUZZ_SEED (20240611), SOAK_MINUTES (5), RACE_ROUNDS (3).
# Needs root for the mount-based scenarios (tmpfs, read-only bind mount); elsewhere they are skipped, saying why.
# The figures are in target/reliability/*.txt, the Maven output in target/reliability-suite.log.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

quick=false
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=true ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

rm -rf target/reliability
mkdir -p target
common=(-B verify -Dreliability.fuzz.seed="${FUZZ_SEED:-20240611}" -Dreliability.soak.minutes="${SOAK_MINUTES:-5}"
        -Dreliability.race.rounds="${RACE_ROUNDS:-3}")
if $quick; then
  cmd=(mvn "${common[@]}" -Dtest='dev.speakerembedding.reliability.*Test' -Dit.test='dev.speakerembedding.reliability.*IT'
       -Dsurefire.failIfNoSpecifiedTests=false -Dreliability.fuzz.cases="${FUZZ_CASES:-1500}")
else
  cmd=(mvn "${common[@]}" -Preliability -Dreliability.fuzz.cases="${FUZZ_CASES:-10000}")
fi
echo "+ ${cmd[*]} ${extra[*]:-}"
started=$(date +%s)
"${cmd[@]}" "${extra[@]}" 2>&1 | tee target/reliability-suite.log | grep --line-buffered -E '^\[item|Tests run:|BUILD (SUCCESS|FAILURE)|Running dev'
status=${PIPESTATUS[0]}
elapsed=$(( $(date +%s) - started ))

echo
echo "================ reliability figures ($((elapsed / 60)) min $((elapsed % 60)) s) ================"
if compgen -G "target/reliability/*.txt" > /dev/null; then
  cat target/reliability/*.txt
else
  echo "(no figures recorded: see target/reliability-suite.log)"
fi
echo
if [[ $status -eq 0 ]]; then echo "reliability suite: PASS"; else echo "reliability suite: FAIL (exit $status)"; fi
exit "$status"
