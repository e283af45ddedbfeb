"""Command line: one sub-command per model family (tools/export_model.py --help lists them)."""
import argparse
import functools
import json
import sys

import torch

from . import classifiers, common, perceptual, score_models


def _add_common(p, repo_help):
    p.add_argument("--repo", help=repo_help)
    p.add_argument("--checkpoint", help="the official checkpoint file (read only)")
    p.add_argument("--out", required=True, help="the TorchScript file to write; the manifest goes beside it (.json)")
    p.add_argument("--name", help="model name in the manifest")
    p.add_argument("--random-weights", type=int, metavar="SEED",
                   help="FOR VERIFYING THE EXPORTER ONLY: random weights instead of a checkpoint (the manifest's "
                        "source says so); the result is not a usable model")
    p.add_argument("--tolerance", type=float, default=1e-4,
                   help="largest eager-vs-exported difference accepted, relative to max(1, max |output|)")
    p.add_argument("--probe-tolerance", type=float, default=1e-3, help="the golden probe's relative tolerance")
    p.add_argument("--compare-times", type=lambda v: [float(x) for x in v.split(",")],
                   help="comma-separated diffusion times of the eager-vs-exported comparison rows (score models; one "
                        "row each; default 0.0015,0.1005,0.5005,0.9985)")
    p.add_argument("--device", default="cpu",
                   help="where to export and compare (cpu, cuda, cuda:N). A traced export keeps the device of tensors "
                        "the official forward creates (e.g. timestep-embedding frequencies): export on the device "
                        "it will run on")
    p.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    p.add_argument("--time", action="store_true",
                   help="also time one forward and one forward + input gradient at batch 1 on the exported model")
    p.add_argument("--figures", help="append the figures (parameters, differences, timings) as a JSON line here")


def parser():
    ap = argparse.ArgumentParser(prog="tools/export_model.py", description=__doc__)
    sub = ap.add_subparsers(dest="family", required=True, metavar="FAMILY")
    score_models.register(sub, _add_common)
    classifiers.register(sub, _add_common)
    perceptual.register(sub, _add_common)
    return ap


def main(argv=None):
    args = parser().parse_args(argv)
    if args.random_weights is not None and args.checkpoint:
        print("error: give either --checkpoint or --random-weights, not both", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    log = functools.partial(print, flush=True)  # progress of exports that take many minutes, even into a file
    try:
        wrapper, spec = args.build(args)
        figures = common.export(wrapper, spec, args.out, tolerance=args.tolerance,
                                probe_tolerance=args.probe_tolerance, compare_times=args.compare_times,
                                release_eager=True, device=args.device, log=log)
        del wrapper
        loaded = figures.pop("loaded")
        figures.pop("compare_in")
        if args.time:
            figures["forward_s"], figures["gradient_s"] = common.time_batch1(loaded, spec, log=log)
            figures["threads"] = torch.get_num_threads()
    except common.ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    figures.update({"family": args.family, "out": args.out, "method": spec.method,
                    "random_weights": args.random_weights})
    print(json.dumps(figures))
    if args.figures:
        with open(args.figures, "a") as f:
            f.write(json.dumps(figures) + "\n")
    return 0
