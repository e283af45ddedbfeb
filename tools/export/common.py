"""What every exporter shares: importing the user's checkout, reading checkpoints, random weights for
verification, exporting (script or trace, always in eval mode), the eager-vs-exported comparison, the golden probe
and the manifest the Java loader reads (diffpure.model.ModelManifest)."""
import hashlib
import importlib
import importlib.util
import json
import math
import os
import subprocess
import sys
import time
import types

import torch
import torch.nn as nn

from . import probe as probes

RANDOM_WEIGHTS_NOTE = "RANDOM WEIGHTS (seed {seed}), for verifying the exporter only: not a usable model"


class ExportError(Exception):
    """A refusal with a message that names what was seen; the command exits non-zero."""


# ---------------------------------------------------------------------------------------------
# The user's checkout


def add_repo(repo, must_contain):
    """Puts a checkout on sys.path after checking that it holds the files the exporter imports."""
    if repo is None:
        raise ExportError(f"--repo is required: a checkout that contains {must_contain}")
    repo = os.path.abspath(repo)
    if not os.path.exists(os.path.join(repo, must_contain)):
        raise ExportError(f"--repo {repo} does not contain {must_contain}: is it the right checkout?")
    if repo not in sys.path:
        sys.path.insert(0, repo)
    return repo


def import_file(path, name):
    """Imports one source file of a checkout without running its package's __init__ (which may pull in
    dependencies the architecture does not need, such as robustbench's downloaders)."""
    if not os.path.isfile(path):
        raise ExportError(f"{path} not found in the checkout")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def stub_module(name, reason, attributes):
    """Registers a module whose functions raise when called: for imports the official code makes at load time but
    never calls in the exported configuration (e.g. score_sde's CUDA FIR kernels, compiled at import, with fir off)."""

    def refuse(*args, **kwargs):
        raise ExportError(f"{name} was replaced by the exporter ({reason}) but was called")

    module = types.ModuleType(name)
    for attribute in attributes:
        setattr(module, attribute, refuse)
    sys.modules[name] = module
    return module


def repo_revision(repo):
    """The checkout's git commit, or None when it is not a git checkout."""
    try:
        out = subprocess.run(
            ["git", "-C", repo, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return None
    return out.stdout.strip() if out.returncode == 0 else None


# ---------------------------------------------------------------------------------------------
# Weights


def load_checkpoint(path):
    if path is None:
        raise ExportError("--checkpoint is required (or --random-weights SEED to verify the exporter without one)")
    if not os.path.isfile(path):
        raise ExportError(f"checkpoint {path} not found")
    return torch.load(path, map_location="cpu")


def state_dict_of(checkpoint, path, keys=("state_dict", "model")):
    """The state dict inside a checkpoint file: the object itself or one of the usual keys."""
    if isinstance(checkpoint, dict) and all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
        return checkpoint
    for key in keys:
        if isinstance(checkpoint, dict) and key in checkpoint:
            return checkpoint[key]
    found = list(checkpoint.keys())[:10] if isinstance(checkpoint, dict) else type(checkpoint).__name__
    raise ExportError(f"checkpoint {path}: no state dict found (looked for the keys {list(keys)}; found {found})")


def strip_prefix(state, prefix):
    """Removes a DataParallel-style prefix (e.g. 'module.') from every key that has it."""
    return {(k[len(prefix):] if k.startswith(prefix) else k): v for k, v in state.items()}


def load_strict(net, state, path):
    """load_state_dict(strict=True) with an error that names the checkpoint and the first mismatching keys."""
    missing, unexpected = [], []
    own = net.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        raise ExportError(
            f"checkpoint {path} does not fit the architecture: missing {missing[:5]} ({len(missing)} in all), "
            f"unexpected {unexpected[:5]} ({len(unexpected)} in all)"
        )
    net.load_state_dict(state, strict=True)


def randomize(net, seed):
    """Random weights at O(1) activation scale, for verification only: weights ~ N(0, 1/fan_in), biases and
    normalisation shifts ~ 0.1 N(0,1), normalisation scales 1 + 0.1 N(0,1), BatchNorm running statistics away
    from (0, 1) so that a train/eval mix-up changes the output. Official initialisations are not used because some
    (score_sde's init_scale 0) make the output ~1e-10, which would let any comparison pass."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if p.dim() >= 2:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(max(fan_in, 1)))
            elif name.endswith("weight") or name.endswith("scale") or name.endswith("gamma"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
        for module in net.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.running_mean is not None:
                module.running_mean.copy_(0.1 * torch.randn(module.running_mean.shape, generator=g))
                module.running_var.copy_(0.5 + torch.rand(module.running_var.shape, generator=g))


def count_parameters(net):
    return sum(p.numel() for p in net.parameters())


def count_macs(module, inputs):
    """Multiply-adds of one forward per image in convolutions and linear layers (attention products and
    element-wise work are not counted). Conv: out_elems * in_ch/groups * prod(kernel); linear: out_elems * in."""
    total = [0]

    def conv_hook(m, inp, out):
        total[0] += out.numel() * (m.in_channels // m.groups) * math.prod(m.kernel_size)

    def linear_hook(m, inp, out):
        total[0] += out.numel() * m.in_features

    handles = []
    for m in module.modules():
        if isinstance(m, nn.modules.conv._ConvNd):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    try:
        with torch.no_grad():
            out = module(*inputs)
    finally:
        for h in handles:
            h.remove()
    return out, total[0] // inputs[0].shape[0]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# The spec of one export


class Spec:
    """What an exporter produces.

    kind: 'score-model', 'classifier' or 'perceptual' (forward(a, b), both [N, C, H, W] in [0, 1] -> [N]);
    input_shape [C, H, W]; classes (classifiers); t_min/t_max: the range of t the
    model was trained on (score models); beta_min/beta_max: the VP schedule; time_label: how t reaches the network (for
    people reading the manifest); method: 'script' (the network has train/eval-dependent layers and scripts) or
    'trace' (the official code cannot be scripted; traced in eval mode).
    """

    def __init__(self, kind, name, input_shape, method, source, classes=None, t_min=None, t_max=None,
                 beta_min=0.1, beta_max=20.0, time_label=None):
        if kind not in ("score-model", "classifier", "perceptual"):
            raise ValueError(f"kind must be score-model, classifier or perceptual, found {kind}")
        if method not in ("script", "trace"):
            raise ValueError(f"method must be script or trace, found {method}")
        self.kind = kind
        self.name = name
        self.input_shape = list(input_shape)
        self.method = method
        self.source = source
        self.classes = classes
        self.t_min = t_min
        self.t_max = t_max
        self.beta_min = beta_min
        self.beta_max = beta_max
        self.time_label = time_label


# Probe conventions shared with the Java writer (diffpure.model.ModelManifests): seeds 20221 (score models), 20222
# (classifiers) and 20223 (perceptual models: first input; the second input uses 20224); score-model probe times 0.05
# and 0.3 when inside [t-min, t-max], else the quartiles of that range.
SCORE_MODEL_PROBE_SEED = 20221
CLASSIFIER_PROBE_SEED = 20222
PERCEPTUAL_PROBE_SEED = 20223
PROBE_SEEDS = {"score-model": SCORE_MODEL_PROBE_SEED, "classifier": CLASSIFIER_PROBE_SEED,
               "perceptual": PERCEPTUAL_PROBE_SEED}
SCORE_MODEL_PROBE_TIMES = [0.05, 0.3]

# Diffusion times of the comparison rows, one per row: mid-step values ((i + 0.5) / 1000) so that a discrete
# wrapper's floor(1000 t) is far from a step boundary.
COMPARE_TIMES = [0.0015, 0.1005, 0.5005, 0.9985]


def score_model_probe_times(t_min, t_max):
    """ModelManifests.scoreModelProbeTimes."""
    if all(t_min <= t <= t_max for t in SCORE_MODEL_PROBE_TIMES):
        return list(SCORE_MODEL_PROBE_TIMES)
    span = t_max - t_min
    return [t_min + span / 4, t_min + 3 * span / 4]


def _inputs(spec, rows, seed, times):
    g = torch.Generator().manual_seed(seed)
    shape = [rows] + spec.input_shape
    if spec.kind == "score-model":
        x = torch.rand(shape, generator=g) * 2 - 1
        t = torch.tensor(times[:rows], dtype=torch.float32)
        return (x, t)
    if spec.kind == "perceptual":
        a = torch.rand(shape, generator=g)
        # b near a for half the rows (small distances, the range a bound lives in), independent for the rest
        b = torch.rand(shape, generator=g)
        near = (a + 0.03 * (torch.rand(shape, generator=g) - 0.5)).clamp(0, 1)
        b[: rows // 2] = near[: rows // 2]
        return (a, b)
    return (torch.rand(shape, generator=g),)


def _probe_inputs(spec):
    shape = [probes.ROWS] + spec.input_shape
    if spec.kind == "score-model":
        times = score_model_probe_times(spec.t_min, spec.t_max)
        return (probes.probe_input(SCORE_MODEL_PROBE_SEED, shape, -1.0, 1.0), torch.tensor(times, dtype=torch.float32))
    if spec.kind == "perceptual":
        return (probes.probe_input(PERCEPTUAL_PROBE_SEED, shape, 0.0, 1.0),
                probes.probe_input(PERCEPTUAL_PROBE_SEED + 1, shape, 0.0, 1.0))
    return (probes.probe_input(CLASSIFIER_PROBE_SEED, shape, 0.0, 1.0),)


def _check_output(spec, out, rows, what):
    if spec.kind == "score-model":
        expected = [rows] + spec.input_shape
    elif spec.kind == "perceptual":
        expected = [rows]
    else:
        expected = [rows, spec.classes]
    if list(out.shape) != expected:
        raise ExportError(f"{what}: output shape {list(out.shape)}, the convention demands {expected}")
    if not torch.isfinite(out).all():
        raise ExportError(f"{what}: output has {int((~torch.isfinite(out)).sum())} non-finite values")


def export_module(wrapper, spec, example):
    """Script or trace the wrapper (already in eval mode)."""
    if spec.method == "script":
        return torch.jit.script(wrapper)
    with torch.no_grad():
        return torch.jit.trace(wrapper, example, check_trace=False)


def release(module):
    """Frees a module's weights (its tensors become empty): for exporting models of several GiB, whose eager copy
    is not needed once the eager outputs are computed and the export is saved."""
    for p in module.parameters():
        p.data = torch.empty(0)
    for b in module.buffers():
        b.data = torch.empty(0)


def device_constants(module):
    """Devices written into the exported graph as constants (e.g. a tensor the official forward creates with
    device=x.device, which tracing records as the trace-time device): {device: count}. Such an export runs only on
    that device."""
    found = {}
    for graph in [module.inlined_graph] if hasattr(module, "inlined_graph") else []:
        for node in graph.nodes():
            if node.kind() == "prim::Constant" and node.output().type().kind() == "DeviceObjType":
                name = str(node.output().toIValue())
                found[name] = found.get(name, 0) + 1
    return found


def export(wrapper, spec, out_path, *, compare_times=None, tolerance=1e-4, probe_tolerance=1e-3, compare_seed=7,
           release_eager=False, device="cpu", log=print):
    """Exports wrapper to out_path and writes the manifest beside it.

    Steps: eager output on random inputs (one row per comparison time, a batch size other than the probe's, so
    that a trace that baked the batch size in is caught) and on the probe input; export; save; reload; exported
    output on the same inputs and on a single row; refuse when the largest absolute difference exceeds tolerance *
    max(1, max |eager|) or when the row computed alone differs from the same row in the batch (a classifier whose
    output depends on batch composition). With release_eager the wrapper's weights are freed once the export is
    saved (it is unusable afterwards), so that the eager and the reloaded copy are never in memory together.
    Returns a dict of the figures."""
    wrapper.eval()
    for p in wrapper.parameters():
        p.requires_grad_(False)
    times = compare_times or COMPARE_TIMES
    rows = len(times) if spec.kind == "score-model" else 3
    if rows == probes.ROWS:
        rows += 1
    wrapper.to(device)
    compare_in = tuple(a.to(device) for a in _inputs(spec, rows, compare_seed, times))
    probe_in = tuple(a.to(device) for a in _probe_inputs(spec))

    started = time.time()
    eager_out, macs = count_macs(wrapper, compare_in)
    _check_output(spec, eager_out, rows, "eager model")
    with torch.no_grad():
        eager_probe = wrapper(*probe_in)
    _check_output(spec, eager_probe, probes.ROWS, "eager model on the probe input")
    log(f"eager forwards done in {time.time() - started:.1f}s; output max |value| {eager_out.abs().max():.4g}")

    parameters = count_parameters(wrapper)
    started = time.time()
    exported = export_module(wrapper, spec, probe_in)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    exported.save(out_path)
    del exported
    if release_eager:
        release(wrapper)
    log(f"{spec.method} and save done in {time.time() - started:.1f}s: {out_path}")

    loaded = torch.jit.load(out_path, map_location=device).eval()
    devices = device_constants(loaded)
    if devices:
        log(f"note: the exported graph holds device constants {devices}: tensors the official forward creates are "
            f"made on that device, so this file runs on {', '.join(devices)} only (export with --device for another)")
    with torch.no_grad():
        exported_out = loaded(*compare_in)
        exported_probe = loaded(*probe_in)
        single = loaded(*(a[:1] for a in compare_in))
    _check_output(spec, exported_out, rows, "exported model")
    scale = max(1.0, float(eager_out.abs().max()))
    diff = float((exported_out - eager_out).abs().max())
    probe_diff = float((exported_probe - eager_probe).abs().max())
    single_diff = float((single[0] - exported_out[0]).abs().max())
    log(f"eager vs exported: max abs difference {diff:.3g} over {rows} rows "
        + (f"at t = {times}" if spec.kind == "score-model" else "")
        + f"; on the probe input {probe_diff:.3g}; row 0 alone vs in the batch {single_diff:.3g}"
        + f" (tolerance {tolerance * scale:.3g})")
    if max(diff, probe_diff) > tolerance * scale:
        raise ExportError(f"exported model differs from the eager one by {max(diff, probe_diff):.3g} "
                          f"(> {tolerance} x {scale:.3g}); {out_path} is not trustworthy")
    if single_diff > tolerance * scale:
        raise ExportError(f"exported model's output for a row depends on the rest of the batch "
                          f"(difference {single_diff:.3g}); eval mode lost? {out_path}")

    score_model = spec.kind == "score-model"
    record = probes.golden_probe(exported_probe, PROBE_SEEDS[spec.kind], probe_tolerance,
                                 score_model_probe_times(spec.t_min, spec.t_max) if score_model else None)
    manifest = manifest_for(spec, out_path, parameters, macs, record)
    manifest["export"]["device"] = str(device)
    if devices:
        manifest["export"]["runs-on-only"] = sorted(devices)
    manifest_path = write_manifest(out_path, manifest)
    log(f"manifest: {manifest_path}")
    return {"parameters": parameters, "macs_per_image": macs, "max_abs_diff": max(diff, probe_diff),
            "device_constants": devices,
            "batch_row_diff": single_diff, "sha256": manifest["sha256"], "manifest": manifest_path,
            "loaded": loaded, "compare_in": compare_in}


def manifest_for(spec, out_path, parameters, macs, record):
    """The manifest fields of diffpure.model.ModelManifest (and of `diffpure model manifest`)."""
    m = {"kind": spec.kind, "name": spec.name, "input-shape": spec.input_shape}
    if spec.kind == "classifier":
        m["classes"] = spec.classes
    elif spec.kind == "score-model":
        m["beta-min"] = spec.beta_min
        m["beta-max"] = spec.beta_max
        m["t-min"] = spec.t_min
        m["t-max"] = spec.t_max
        if spec.time_label:
            m["time-label"] = spec.time_label
    m["source"] = spec.source
    m["parameters"] = parameters
    m["sha256"] = sha256(out_path)
    m["probe"] = record
    m["macs-per-image"] = macs
    m["export"] = {"method": spec.method, "torch": torch.__version__}
    return m


def manifest_path_for(out_path):
    base = out_path[:-3] if out_path.endswith(".pt") else out_path
    return base + ".json"


def write_manifest(out_path, manifest):
    path = manifest_path_for(out_path)
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return path


def time_batch1(loaded, spec, log=print, repeats=1):
    """Seconds of one forward and of one forward + input gradient at batch 1 (parameters frozen), after one
    warm-up call, median of repeats. Returns (forward_s, gradient_s)."""
    device = next(iter(loaded.parameters())).device if list(loaded.parameters()) else torch.device("cpu")
    x = tuple(a.to(device) for a in _inputs(spec, 1, 11, [0.1005]))
    for p in loaded.parameters():
        p.requires_grad_(False)
    with torch.no_grad():
        loaded(*x)
    fwd = []
    for _ in range(repeats):
        start = time.perf_counter()
        with torch.no_grad():
            loaded(*x)
        fwd.append(time.perf_counter() - start)
    grad = []
    for _ in range(repeats):
        xi = x[0].clone().requires_grad_(True)
        start = time.perf_counter()
        out = loaded(xi, *x[1:])
        (g,) = torch.autograd.grad(out.sum(), xi)
        grad.append(time.perf_counter() - start)
        if not torch.isfinite(g).all():
            raise ExportError("input gradient has non-finite values")
    fwd.sort()
    grad.sort()
    f, b = fwd[len(fwd) // 2], grad[len(grad) // 2]
    log(f"batch 1 on {torch.get_num_threads()} threads: forward {f:.3f}s, forward + input gradient {b:.3f}s")
    return f, b
