# Sourced by the measurement scripts (attack_budget.sh, attack_diffattack.sh, attack_diffhammer.sh, attack_lf.sh on
# the analytic chain defence; demo_budget.sh, demo_attacks.sh on the demo models), which set OUT, THREADS and ROOT,
# and N for the demo. attack_run NAME OPTIONS... runs `bin/diffpure attack OPTIONS`, one CSV row per sample in
# OUT/NAME.csv (written as NAME.csv.part, renamed when the run ends) and its log beside it, and prints its figures;
# a run whose CSV exists is skipped, so an interrupted sweep resumes.
attack_run() {
  local name=$1; shift
  [[ -f $OUT/$name.csv ]] && return
  "$ROOT/bin/diffpure" attack --threads "$THREADS" --per-sample "$OUT/$name.csv.part" "$@" > "$OUT/$name.log" 2>&1
  mv "$OUT/$name.csv.part" "$OUT/$name.csv"
  grep -h 'robust accuracy\|input gradients\|seconds' "$OUT/$name.log" | sed "s/^/$name: /"
}
# The analytic defence's setting: t* = 0.1, 100 steps, 1000 samples, Linf eps 0.1, batch 500.
analytic_run() { attack_run "$1" --defence analytic --epsilon 0.1 --n 1000 --batch 500 "${@:2}"; }
# The defended demo models' setting: t* = 0.1 at dt 2e-3 (a 50-step chain), N samples in one batch, Linf 8/255.
demo_run() { attack_run "$1" --defended --epsilon 8/255 --n "$N" --batch "$N" --t-star 0.1 --dt 2e-3 "${@:2}"; }
