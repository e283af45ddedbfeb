"""Golden-probe inputs and records, the Python side of diffpure.model.ProbeInputs and GoldenProbe.

The Java loader rebuilds the probe input from the manifest's seed with the same SplitMix64 generator, runs the
model and compares selected output elements, the sum and the L2 norm with what the manifest records (relative
tolerance, scaled by max(1, |expected|)).
"""
import torch

MASK = (1 << 64) - 1

# Flat output indices the probe records (those inside the output).
PROBE_INDICES = [0, 1, 7, 100, 333, 391, 500, 783, 784, 1000, 1234, 1567]

# Batch size of every probe input (GoldenProbe.ROWS).
ROWS = 2


def splitmix_uniform(seed, count):
    """count floats in [0,1): the top 24 bits of successive SplitMix64 outputs (ProbeInputs.uniform)."""
    state = seed & MASK
    out = []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z = z ^ (z >> 31)
        out.append((z >> 40) * (1.0 / (1 << 24)))
    return out


def probe_input(seed, shape, low, high):
    """A float32 tensor of the given shape, uniform in [low, high), computed in float32 as Java does."""
    n = 1
    for s in shape:
        n *= s
    u = torch.tensor(splitmix_uniform(seed, n), dtype=torch.float32).reshape(shape)
    return low + (high - low) * u


def golden_probe(output, seed, tolerance=1e-3, times=None):
    """The manifest's probe record for a model output on the probe input built from seed."""
    out = output.detach().flatten()
    idx = [i for i in PROBE_INDICES if i < out.numel()]
    record = {
        "seed": seed,
        "indices": idx,
        "values": [float(out[i]) for i in idx],
        "sum": float(out.double().sum()),
        "l2": float(out.double().norm()),
        "tolerance": tolerance,
    }
    if times is not None:
        record["t"] = [float(t) for t in times]
    return record


def probe_mismatch(record, output):
    """None when output matches the record within its tolerance, else the first mismatch (GoldenProbe.mismatch)."""
    out = output.detach().flatten()
    tol = record["tolerance"]

    def compare(what, actual, expected):
        if abs(actual - expected) <= tol * max(1.0, abs(expected)):
            return None
        return f"{what} is {actual}, the probe expects {expected} (tolerance {tol})"

    for i, v in zip(record["indices"], record["values"]):
        if i >= out.numel():
            return f"probe index {i} is outside the output of {out.numel()} values"
        m = compare(f"output[{i}]", float(out[i]), v)
        if m:
            return m
    return compare("sum of outputs", float(out.double().sum()), record["sum"]) or compare(
        "L2 norm of outputs", float(out.double().norm()), record["l2"]
    )
