#!/usr/bin/env bash
# The reliability suite (README.md, "Reliability"): the tests of src/test/java/dev/speakerembedding/reliability,
# which cause real faults to real Liberty processes (SIGKILL mid-download, two servers on one cache, a misbehaving
# Hub, read-only and full volumes, damaged cache files, 10,000 fuzzed WAVs, oversized/slow/concurrent clients, a
# soak at 80 % of capacity, token and TLS checks), then prints every figure they recorded and how many tests ran.
#
#   scripts/reliability-suite.sh                 the whole suite (the long scenarios included; about an hour on 2 cores)
#   scripts/reliability-suite.sh --quick         only the part that `mvn verify` runs too (a few minutes)
#   scripts/reliability-suite.sh --allow-skips   a skipped test does not fail the suite (it is still counted and named)
#   scripts/reliability-suite.sh --report-only   no run: counts the test reports already in target/ and prints them
#   scripts/reliability-suite.sh -- -Dit.test=SoakScenario      extra Maven arguments after --
#
# Environment: FUZZ_CASES (10000), FUZZ_SEED (20240611), SOAK_MINUTES (5), RACE_ROUNDS (3).
# A test is skipped, saying why, where this machine lacks what it needs: root and mount rights for the mount-based
# scenarios (tmpfs, read-only bind mount), ../shared beside the clone for the full-size model. The suite counts the
# tests that ran and were skipped from target/surefire-reports and target/failsafe-reports, names every skipped one,
# and exits non-zero when any test failed, none ran, or any was skipped (unless --allow-skips): exit 1 for failures,
# 3 for skips.
# The figures are in target/reliability/*.txt, the Maven output in target/reliability-suite.log.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

quick=false
allow_skips=false
report_only=false
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=true ;;
    --allow-skips) allow_skips=true ;;
    --report-only) report_only=true ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Decodes the XML entities surefire writes into attribute values.
unxml() {
  sed -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&#10;/ /g' -e 's/&#13;//g' -e 's/&amp;/\&/g'
}

# attr NAME TAG: the value of attribute NAME in the element text TAG (empty if absent).
attr() {
  grep -o " $1=\"[^\"]*\"" <<< "$2" | head -1 | sed -e "s/^ $1=\"//" -e 's/"$//'
}

# skipped_cases REPORT: "test<TAB>reason" for each skipped test case of a JUnit XML report; the reason is the
# message attribute or else the first line of the exception surefire writes into the element.
skipped_cases() {
  awk '
    /<testcase / { name = ""; if (match($0, / name="[^"]*"/)) name = substr($0, RSTART + 7, RLENGTH - 8) }
    /<skipped/ {
      reason = ""
      if (match($0, / message="[^"]*"/)) reason = substr($0, RSTART + 10, RLENGTH - 11)
      else if (match($0, /CDATA\[.*/)) reason = substr($0, RSTART + 6)
      sub(/^[A-Za-z0-9_.$]*(TestAbortedException|AssumptionViolatedException): /, "", reason)
      sub(/]]>.*$/, "", reason)
      print name "\t" reason
    }' "$1" | unxml
}

# Counts the JUnit XML reports of this run: tests, skipped, failed (failures + errors), by kind of test class
# (unit *Test, *IT, long *Scenario), and lists every skipped test with its reason. Sets ran_total, skipped_total,
# failed_total.
summarise_reports() {
  local -A tests=() skipped=() failed=() classes=()
  local kinds=(Test IT Scenario)
  ran_total=0; skipped_total=0; failed_total=0
  local skipped_lines=()
  local f
  shopt -s nullglob
  for f in target/surefire-reports/TEST-*.xml target/failsafe-reports/TEST-*.xml; do
    local flat suite name kind t s fl e
    flat="$(tr '\n\r' '  ' < "$f")"
    suite="$(grep -o '<testsuite [^>]*>' <<< "$flat" | head -1)"
    [[ -n "$suite" ]] || { echo "unreadable test report: $f" >&2; failed_total=$((failed_total + 1)); continue; }
    name="$(attr name "$suite")"
    case "$name" in *Scenario) kind=Scenario ;; *IT) kind=IT ;; *) kind=Test ;; esac
    t="$(attr tests "$suite")"; s="$(attr skipped "$suite")"; fl="$(attr failures "$suite")"; e="$(attr errors "$suite")"
    tests[$kind]=$(( ${tests[$kind]:-0} + ${t:-0} ))
    skipped[$kind]=$(( ${skipped[$kind]:-0} + ${s:-0} ))
    failed[$kind]=$(( ${failed[$kind]:-0} + ${fl:-0} + ${e:-0} ))
    classes[$kind]=$(( ${classes[$kind]:-0} + 1 ))
    if [[ "${s:-0}" -gt 0 ]]; then
      local case_name message
      while IFS=$'\t' read -r case_name message; do
        skipped_lines+=("  ${name##*.}.${case_name}: ${message:-(no reason given)}")
      done < <(skipped_cases "$f")
    fi
  done
  shopt -u nullglob
  local k
  for k in "${kinds[@]}"; do
    local t=${tests[$k]:-0} s=${skipped[$k]:-0} fl=${failed[$k]:-0} c=${classes[$k]:-0}
    ran_total=$((ran_total + t - s)); skipped_total=$((skipped_total + s)); failed_total=$((failed_total + fl))
    [[ $c -gt 0 ]] || continue
    printf '%-9s %3d classes: %4d tests ran (%d failed), %d skipped\n' "$k" "$c" $((t - s)) "$fl" "$s"
  done
  echo "total: $ran_total tests ran, $failed_total failed, $skipped_total skipped"
  if [[ ${#skipped_lines[@]} -gt 0 ]]; then
    echo "skipped:"
    printf '%s\n' "${skipped_lines[@]}"
  fi
}

status=0
elapsed=0
if ! $report_only; then
  rm -rf target/reliability target/surefire-reports target/failsafe-reports
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
fi

echo
echo "================ tests (target/surefire-reports, target/failsafe-reports) ================"
summarise_reports
echo
if [[ $status -ne 0 || $failed_total -gt 0 ]]; then
  [[ $status -ne 0 ]] || status=1
  echo "reliability suite: FAIL (exit $status; $failed_total tests failed)"
elif [[ $ran_total -eq 0 ]]; then
  status=1
  echo "reliability suite: FAIL (no test ran)"
elif [[ $skipped_total -gt 0 ]] && ! $allow_skips; then
  status=3
  echo "reliability suite: FAIL ($skipped_total tests skipped, named above; --allow-skips accepts them)"
elif [[ $skipped_total -gt 0 ]]; then
  echo "reliability suite: PASS with $skipped_total tests skipped (--allow-skips): $ran_total ran"
else
  echo "reliability suite: PASS ($ran_total tests ran, none skipped)"
fi
exit "$status"
