"""Paired analysis of the attack-budget runs of tools/attack_budget.sh (BENCHMARKS.md, "Attack budget"): per run
robust accuracy (one vote: clean and adversarial prediction right), its Wilson 95% interval and the model calls
per sample; per pair given on stdin ("cheap reference" per line) the discordant counts, McNemar's p (exact binomial
below 25 discordant pairs, else chi-square with continuity correction) and the Wald 95% interval of the paired
difference cheap - reference; for runs with budget checkpoints, each checkpoint against the separate run of that
budget. A name RUN@b in a pair stands for checkpoint b of RUN (its adv_pred_at_b and gradients_at_b columns): for
PGD, whose step does not depend on the run's length, checkpoint b of a longer run is the run with budget b (BENCHMARKS.md,
"Attack budget on the analytic defence": 0 discordant samples), so one run per surrogate gives both the equal-iteration
and the equal-model-calls figures (tools/demo_budget.sh).

Model calls: score-model forwards plus vector-Jacobian products on one row, per sample (not the runs' step-rows,
which count a row once per chain step: BENCHMARKS.md). An exact gradient row through N_d steps
costs 3 N_d (a forward sweep, then a forward and a VJP per step), a surrogate row 3 N_s + N_d (the same through N_s
steps, then the defence chain's forward for the loss and logits); PGD evaluates its last iterate (EOT rows of N_d).
A run named surN_sj (--surrogate-evaluation checkpoints) judges on the surrogate copies: 3 N_s per row, last iterate
EOT rows of N_s (the votes, as in every run, are not counted). A run named lf* (the LF attack) also purifies each
of its gradient rows' iterates for its fresh votes: 3 N_d + N_d per row. A run named dh* (DiffHammer) counts its
grafted gradients: each comes with N = 10 purified copies (10 N_d) and costs a forward and a VJP per grid step (2 N_d,
or 2 N_s when grafted on a surrogate grid); the N clean evaluations per restart (at most 30 N_d) are left out.

Run: printf "pgd-exact-10 pgd-exact-50\n" | python3 tools/attack_budget_pairs.py DIR
"""
import csv, math, re, sys, glob, os

D = sys.argv[1]
N_D = int(os.environ.get('N_D', '100'))  # the defence chain's steps

def load(name):
    run, _, at = name.partition('@')
    pred, grad = ('adv_pred_at_' + at, 'gradients_at_' + at) if at else ('adv_pred', None)
    rows = {}
    grads = 0
    with open(os.path.join(D, run + '.csv')) as f:
        for r in csv.DictReader(f):
            rows[int(r['id'])] = int(r['clean_pred']) == int(r['label']) and int(r[pred]) == int(r['label'])
            grads += int(r[grad]) if grad else 0
    if not grad:
        log = open(os.path.join(D, run + '.log')).read()
        grads = int(re.search(r'input gradients (\d+)', log).group(1))
    return rows, grads

def wilson(k, n, z=1.959964):
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return c - h, c + h

def model_calls(name, grads, n):
    m = re.search(r'sur(\d+)(j?)', name)
    judged = bool(m and m.group(2))  # surN_sj: --surrogate-evaluation checkpoints, no defence forward
    grid = int(m.group(1)) if m else N_D  # the steps a gradient goes back through
    if name.startswith('lf'):  # N gradient rows and N fresh votes per iteration
        per = 4 * N_D
    elif name.startswith('dh'):  # per grafted gradient: N = 10 purified copies, then a forward and a VJP per grid step
        per = 10 * N_D + 2 * grid
    else:
        per = 3 * grid + (N_D if m and not judged else 0)
    # PGD evaluates its last iterate (EOT rows; judged: through the surrogate); at a checkpoint that
    # iterate came with its gradient
    last = int(m.group(1)) if judged else N_D
    fwd = 4 * last if name.startswith('pgd') and '@' not in name else 0
    return grads / n * per + fwd

def mcnemar(b, c):
    n = b + c
    if n == 0:
        return 1.0
    if n < 25:  # exact: twice the smaller binomial tail, at most 1
        tail = sum(math.comb(n, k) for k in range(min(b, c) + 1)) / 2 ** n
        return min(1.0, 2 * tail)
    x = (abs(b - c) - 1) ** 2 / n
    return math.erfc(math.sqrt(x / 2))  # chi-square with 1 degree of freedom

def compare(cheap, ref):
    a, _ = load(cheap); r, _ = load(ref)
    n = len(r)
    b = sum(1 for i in r if a[i] and not r[i])  # robust only under the cheap attack
    c = sum(1 for i in r if r[i] and not a[i])
    d = (b - c) / n
    se = math.sqrt(b + c - (b - c) ** 2 / n) / n
    return b, c, d, d - 1.96 * se, d + 1.96 * se, mcnemar(b, c)

def order(name):
    parts = name.rsplit('-', 2)
    if len(parts) < 3 or not parts[2].isdigit():  # not ATTACK-MODE-ITERATIONS (e.g. dh-exact): by name
        return (name, False, 0, '', 0)
    attack, mode, iterations = parts
    steps = re.search(r'\d+', mode)
    return (attack, mode != 'exact', -int(steps.group()) if steps else 0, mode, int(iterations))


names = sorted((os.path.basename(p)[:-4] for p in glob.glob(os.path.join(D, '*.csv'))), key=order)
print('| run | robust | 95% Wilson | gradient rows / sample | model calls / sample |')
print('|---|---|---|---|---|')
for name in names:
    rows, grads = load(name)
    n = len(rows); k = sum(rows.values())
    lo, hi = wilson(k, n)
    print(f'| {name} | {k/n:.3f} ({k}/{n}) | [{lo:.3f}, {hi:.3f}] | {grads/n:.0f} | {model_calls(name, grads, n):,.0f} |')
print()
pairs = [l.split() for l in sys.stdin.read().strip().splitlines()] if not sys.stdin.isatty() else []
if pairs:
    print('| cheap | reference | only cheap robust | only reference robust | cheap - reference | paired 95% | McNemar p |')
    print('|---|---|---|---|---|---|---|')
    for cheap, ref in pairs:
        if all(os.path.exists(os.path.join(D, x.partition('@')[0] + '.csv')) for x in (cheap, ref)):
            b, c, d, lo, hi, p = compare(cheap, ref)
            print(f'| {cheap} | {ref} | {b} | {c} | {100*d:+.1f} pt | [{100*lo:+.1f}, {100*hi:+.1f}] | {p:.3g} |')

# One run's checkpoints against separate runs at the same budget.
for name in names:
    path = os.path.join(D, name + '.csv')
    with open(path) as f:
        header = f.readline().strip().split(',')
    ats = [h[len('adv_pred_at_'):] for h in header if h.startswith('adv_pred_at_')]
    if not ats:
        continue
    print()
    print(f'Checkpoints of {name} (iteration b of a run of {name.split("-")[-1]}), one vote each:')
    print('| checkpoint | robust | 95% Wilson | gradient rows / sample | separate run | checkpoint - separate | paired 95% | McNemar p |')
    print('|---|---|---|---|---|---|---|---|')
    with open(path) as f:
        data = list(csv.DictReader(f))
    n = len(data)
    for at in ats:
        rob = {int(r['id']): int(r['clean_pred']) == int(r['label']) and int(r['adv_pred_at_' + at]) == int(r['label']) for r in data}
        grads = sum(int(r['gradients_at_' + at]) for r in data) / n
        k = sum(rob.values()); lo, hi = wilson(k, n)
        sep = name.rsplit('-', 1)[0] + '-' + at
        extra = '| — | | | |'
        if os.path.exists(os.path.join(D, sep + '.csv')):
            r2, _ = load(sep)
            b = sum(1 for i in r2 if rob[i] and not r2[i]); c = sum(1 for i in r2 if r2[i] and not rob[i])
            d = (b - c) / n; se = math.sqrt(b + c - (b - c) ** 2 / n) / n
            extra = f'| {sep} {sum(r2.values())/n:.3f} | {100*d:+.1f} pt | [{100*(d-1.96*se):+.1f}, {100*(d+1.96*se):+.1f}] | {mcnemar(b, c):.3g} |'
        print(f'| {at} | {k/n:.3f} | [{lo:.3f}, {hi:.3f}] | {grads:.0f} {extra}')
