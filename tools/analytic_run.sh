# Sourced by the measurement scripts on the analytic chain defence (attack_budget.sh, attack_diffhammer.sh,
# attack_lf.sh), which set OUT, THREADS and ROOT: analytic_run NAME OPTIONS... runs `bin/diffpure attack` on their
# common setting (t* = 0.1, 100 steps, 1000 samples, Linf eps 0.1, batch 500) with OPTIONS, one CSV row per sample
# in OUT/NAME.csv and its log beside it, and prints its figures; a run whose CSV exists is skipped, so an interrupted
# sweep resumes.
analytic_run() {
  local name=$1; shift
  [[ -f $OUT/$name.csv ]] && return
  "$ROOT/bin/diffpure" attack --defence analytic --epsilon 0.1 --n 1000 --batch 500 --threads "$THREADS" \
    --per-sample "$OUT/$name.csv" "$@" > "$OUT/$name.log" 2>&1
  grep -h 'robust accuracy\|input gradients\|seconds' "$OUT/$name.log" | sed "s/^/$name: /"
}
