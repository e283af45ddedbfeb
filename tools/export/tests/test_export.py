"""Tests of the export tools with small stand-in modules (no download, no official checkout needed).

  /usr/bin/python3 -m pytest -q tools/export/tests      (or: cd tools && /usr/bin/python3 -m unittest discover -s export/tests -t .)
"""
import json
import os
import struct
import sys
import tempfile
import textwrap
import types
import unittest

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from export import cli, common, perceptual, probe, score_models  # noqa: E402
from export.common import ExportError, Spec  # noqa: E402
from export.wrappers import (  # noqa: E402
    CIFAR10_MEAN, CIFAR10_STD, ContinuousTimeEps, DiscreteStepEps, LogitPair, Normalized)


class RecordTime(nn.Module):
    """eps stand-in that returns the time label it was given, broadcast to the image, plus 0 * x."""

    def forward(self, x: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return x * 0 + label.to(x.dtype)[:, None, None, None]


class LearnedSigma(nn.Module):
    """guided-diffusion stand-in: 2C output channels, [eps, v], here [x + step, -100 - x]."""

    def forward(self, x: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
        eps = x + step.to(x.dtype)[:, None, None, None]
        return torch.cat([eps, -100 - x], dim=1)


class SmallBnClassifier(nn.Module):
    """Has BatchNorm and dropout, so train and eval mode differ."""

    def __init__(self, classes=4):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(8, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.bn(self.conv(x))).mean(dim=(2, 3))
        return self.fc(self.drop(h))


class SmallEps(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.norm = nn.GroupNorm(1, 3)

    def forward(self, x: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return self.conv(self.norm(x)) * torch.cos(label / 1000.0)[:, None, None, None]


class EmbeddingOnInputDevice(nn.Module):
    """Creates a tensor in forward, as the official timestep embeddings do: tracing records the device."""

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        freqs = torch.arange(4, dtype=torch.float32).to(device=t.device)
        return x + (t[:, None] * freqs[None]).sum(1)[:, None, None, None]


class BranchOnData(nn.Module):
    """Data-dependent control flow: a trace follows one branch only, so the export must be refused."""

    def __init__(self, threshold: float):
        super().__init__()
        self.threshold = threshold

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = x.mean(dim=(2, 3))[:, :2]
        if bool(x[0, 0, 0, 0] > self.threshold):
            return logits
        return -logits


class WrapperTest(unittest.TestCase):
    def test_continuous_time_label_is_999_t(self):
        w = ContinuousTimeEps(RecordTime(), 999.0)
        t = torch.tensor([1e-5, 0.1, 0.5, 1.0])
        out = w(torch.zeros(4, 3, 2, 2), t)
        torch.testing.assert_close(out[:, 0, 0, 0], t * 999)
        self.assertEqual(float(out[3, 2, 1, 1]), 999.0)

    def test_discrete_step_is_floor_1000_t(self):
        seen = []

        class Spy(nn.Module):
            def forward(self, x, step):
                seen.append(step)
                return x

        w = DiscreteStepEps(Spy(), 1000)
        t = torch.tensor([0.0005, 0.0999, 0.1, 0.4995, 0.5005, 0.9995])
        w(torch.zeros(6, 3, 1, 1), t)
        self.assertEqual(seen[0].dtype, torch.int64)
        self.assertEqual(seen[0].tolist(), [0, 99, 100, 499, 500, 999])
        # the ancestral sampler's mid-step times (i + 0.5) / 1000 land on step i for every i, in float32
        w(torch.zeros(1000, 1, 1, 1), (torch.arange(1000, dtype=torch.float32) + 0.5) / 1000)
        self.assertEqual(seen[1].tolist(), list(range(1000)))

    def test_learned_sigma_split_keeps_the_first_channels(self):
        w = DiscreteStepEps(LearnedSigma(), 1000, keep_channels=3)
        x = torch.rand(2, 3, 4, 4)
        out = w(x, torch.tensor([0.0505, 0.3005]))
        self.assertEqual(list(out.shape), [2, 3, 4, 4])
        torch.testing.assert_close(out[0], x[0] + 50)
        torch.testing.assert_close(out[1], x[1] + 300)

    def test_normalized_applies_mean_and_std_per_channel(self):
        w = Normalized(nn.Identity(), CIFAR10_MEAN, CIFAR10_STD)
        x = torch.rand(2, 3, 4, 4)
        out = w(x)
        for c in range(3):
            torch.testing.assert_close(out[:, c], (x[:, c] - CIFAR10_MEAN[c]) / CIFAR10_STD[c])

    def test_logit_pair_scales_input_and_negates(self):
        class SumLogit(nn.Module):
            def forward(self, x):
                return x.flatten(1).sum(dim=1, keepdim=True)

        w = LogitPair(SumLogit())
        x = torch.rand(3, 3, 2, 2)
        out = w(x)
        expected = ((x - 0.5) / 0.5).flatten(1).sum(dim=1)
        self.assertEqual(list(out.shape), [3, 2])
        torch.testing.assert_close(out[:, 0], expected)
        torch.testing.assert_close(out[:, 1], -expected)
        # label 1 = attribute present: class 1 wins exactly when the net's logit is negative
        self.assertTrue(torch.equal(out.argmax(1) == 1, expected < 0))


class CheckpointFreeTest(unittest.TestCase):
    """guided-diffusion's AttentionBlock calls unet.checkpoint (an autograd Function trace cannot record)."""

    def test_plain_call_replaces_checkpoint_during_the_call_only(self):
        class Untraceable(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

        unet = types.SimpleNamespace()
        unet.checkpoint = lambda func, inputs, params, flag: Untraceable.apply(*inputs)
        original = unet.checkpoint

        class Net(nn.Module):
            def forward(self, x, steps):
                return unet.checkpoint(lambda h: h * 2, (x,), [], True) + steps[:, None, None, None]

        wrapped = score_models._CheckpointFree(Net(), unet)
        x = torch.rand(2, 3, 4, 4)
        steps = torch.tensor([1, 2])
        torch.testing.assert_close(wrapped(x, steps), Net()(x, steps))
        self.assertIs(unet.checkpoint, original)
        traced = torch.jit.trace(DiscreteStepEps(wrapped, 1000), (x, torch.tensor([0.0015, 0.0025])))
        torch.testing.assert_close(traced(x, torch.tensor([0.0035, 0.0045])), x * 2 + torch.tensor([3, 4])[:, None, None, None])

    def test_release_frees_the_weights(self):
        net = SmallBnClassifier()
        common.release(net)
        self.assertEqual(sum(p.numel() for p in net.parameters()), 0)
        self.assertEqual(net.bn.running_mean.numel(), 0)


class ProbeTest(unittest.TestCase):
    @staticmethod
    def bits(v):
        return struct.unpack("<i", struct.pack("<f", float(v)))[0]

    def test_splitmix_matches_java_probe_inputs(self):
        # float bits printed by diffpure.model.ProbeInputs.uniform (Java) for these seeds and ranges
        x = probe.probe_input(20221, (5,), -1.0, 1.0)
        self.assertEqual([self.bits(v) for v in x], [1029898624, -1088786858, 1056388532, 1065091064, -1106053704])
        y = probe.probe_input(-7, (3,), 0.0, 1.0)
        self.assertEqual([self.bits(v) for v in y], [1054358576, 1056247784, 1063792959])

    def test_probe_record_and_mismatch(self):
        out = torch.arange(2000, dtype=torch.float32) / 1000
        record = probe.golden_probe(out, 5, 1e-3, times=[0.0505, 0.3005])
        self.assertEqual(record["indices"], probe.PROBE_INDICES)
        self.assertAlmostEqual(record["sum"], float(out.double().sum()))
        self.assertIsNone(probe.probe_mismatch(record, out))
        shifted = out.clone()
        shifted[7] += 0.01
        self.assertIn("output[7]", probe.probe_mismatch(record, shifted))
        small = torch.ones(10)
        self.assertEqual(probe.golden_probe(small, 1)["indices"], [0, 1, 7])


class ExportTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.log = []

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def test_scripted_classifier_keeps_eval_mode_and_writes_a_manifest(self):
        net = SmallBnClassifier()
        common.randomize(net, 3)
        spec = Spec("classifier", "bn-standin", [3, 8, 8], "script", source="test", classes=4)
        out = self.path("clf.pt")
        figures = common.export(net, spec, out, log=self.log.append)
        self.assertLess(figures["max_abs_diff"], 1e-5)
        with open(out[:-3] + ".json") as f:
            m = json.load(f)
        self.assertEqual(m["kind"], "classifier")
        self.assertEqual(m["classes"], 4)
        self.assertEqual(m["input-shape"], [3, 8, 8])
        self.assertEqual(m["sha256"], common.sha256(out))
        self.assertEqual(m["parameters"], sum(p.numel() for p in net.parameters()))
        self.assertEqual(m["export"]["method"], "script")
        self.assertNotIn("t", m["probe"])
        self.assertEqual(m["probe"]["seed"], 20222)
        loaded = torch.jit.load(out).eval()
        x = probe.probe_input(m["probe"]["seed"], (2, 3, 8, 8), 0.0, 1.0)
        with torch.no_grad():
            y = loaded(x)
            self.assertIsNone(probe.probe_mismatch(m["probe"], y))
            # the random BatchNorm statistics matter: train mode gives another output
            self.assertIsNotNone(probe.probe_mismatch(m["probe"], loaded.train()(x)))
        self.assertTrue(any("eager vs exported" in line for line in self.log))

    def test_traced_eps_with_time_wrapper_matches_eager_at_several_t(self):
        net = SmallEps()
        common.randomize(net, 4)
        wrapper = DiscreteStepEps(net, 1000)
        spec = Spec("score-model", "eps-standin", [3, 6, 6], "trace", source="test", t_min=0.0, t_max=0.999)
        out = self.path("eps.pt")
        common.export(wrapper, spec, out, log=self.log.append)
        with open(out[:-3] + ".json") as f:
            m = json.load(f)
        self.assertEqual(m["t-max"], 0.999)
        self.assertEqual(m["probe"]["t"], [0.05, 0.3])
        self.assertEqual(m["probe"]["seed"], 20221)
        loaded = torch.jit.load(out).eval()
        # the trace kept t as an input: other times and batch sizes give the eager output
        x = torch.rand(5, 3, 6, 6) * 2 - 1
        t = torch.tensor([0.0005, 0.2, 0.4, 0.7, 0.9995])
        with torch.no_grad():
            torch.testing.assert_close(loaded(x, t), wrapper(x, t))
            self.assertIsNone(probe.probe_mismatch(
                m["probe"], loaded(probe.probe_input(m["probe"]["seed"], (2, 3, 6, 6), -1.0, 1.0),
                                   torch.tensor(m["probe"]["t"]))))

    def test_probe_times_follow_the_java_rule(self):
        self.assertEqual(common.score_model_probe_times(1e-5, 1.0), [0.05, 0.3])
        self.assertEqual(common.score_model_probe_times(0.0, 0.999), [0.05, 0.3])
        self.assertEqual(common.score_model_probe_times(0.1, 0.5), [0.2, 0.4])

    def test_device_constants_of_a_trace_are_recorded(self):
        spec = Spec("score-model", "emb", [3, 4, 4], "trace", source="test", t_min=0.0, t_max=1.0)
        out = self.path("emb.pt")
        figures = common.export(EmbeddingOnInputDevice(), spec, out, log=self.log.append)
        self.assertEqual(list(figures["device_constants"]), ["cpu"])
        with open(out[:-3] + ".json") as f:
            self.assertEqual(json.load(f)["export"]["runs-on-only"], ["cpu"])
        self.assertTrue(any("runs on cpu only" in line for line in self.log))
        spec.method = "script"
        common.export(EmbeddingOnInputDevice(), spec, out, log=self.log.append)
        with open(out[:-3] + ".json") as f:
            self.assertNotIn("runs-on-only", json.load(f)["export"])

    def test_refuses_an_export_that_differs_from_eager(self):
        spec = Spec("classifier", "branchy", [3, 4, 4], "trace", source="test", classes=2)
        # a threshold between the first pixel of the probe input (traced) and of the comparison input
        traced_first = float(probe.probe_input(common.CLASSIFIER_PROBE_SEED, (1,), 0.0, 1.0)[0])
        compared_first = float(torch.rand(1, generator=torch.Generator().manual_seed(7))[0])
        with self.assertRaisesRegex(ExportError, "differs from the eager one"):
            common.export(BranchOnData((traced_first + compared_first) / 2), spec, self.path("b.pt"),
                          log=self.log.append)

    def test_refuses_wrong_output_shape(self):
        spec = Spec("score-model", "half", [3, 4, 4], "trace", source="test", t_min=0.0, t_max=1.0)

        class Half(nn.Module):
            def forward(self, x, t):
                return x[:, :, :2]

        with self.assertRaisesRegex(ExportError, r"output shape \[4, 3, 2, 4\], the convention demands \[4, 3, 4, 4\]"):
            common.export(Half(), spec, self.path("h.pt"), log=self.log.append)

    def test_batch1_timing_runs_forward_and_input_gradient(self):
        spec = Spec("score-model", "eps-standin", [3, 6, 6], "trace", source="test", t_min=0.0, t_max=0.999)
        out = self.path("t.pt")
        common.export(DiscreteStepEps(SmallEps(), 1000), spec, out, log=self.log.append)
        f, g = common.time_batch1(torch.jit.load(out).eval(), spec, log=self.log.append)
        self.assertGreater(f, 0)
        self.assertGreater(g, 0)
        self.assertIn("forward + input gradient", self.log[-1])

    def test_stub_module_refuses_to_run_and_names_why(self):
        stub = common.stub_module("fake_cuda_ops", "fir is off", ["upfirdn2d"])
        try:
            self.assertIs(sys.modules["fake_cuda_ops"], stub)
            with self.assertRaisesRegex(ExportError, r"fake_cuda_ops was replaced by the exporter \(fir is off\)"):
                stub.upfirdn2d(torch.zeros(1))
        finally:
            del sys.modules["fake_cuda_ops"]

    def test_randomize_moves_batchnorm_statistics_and_keeps_outputs_order_one(self):
        net = SmallBnClassifier()
        common.randomize(net, 1)
        self.assertGreater(float((net.bn.running_var - 1).abs().max()), 0.05)
        out = net.eval()(torch.rand(4, 3, 8, 8))
        self.assertTrue(0.01 < float(out.abs().max()) < 100)


CHECKOUT_RESNET = textwrap.dedent('''
    import torch
    import torch.nn as nn

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.mean = torch.tensor((0.4914, 0.4822, 0.4465)).view(3, 1, 1)
            self.std = torch.tensor((0.2471, 0.2435, 0.2616)).view(3, 1, 1)
            self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(4)
            self.linear = nn.Linear(4, 10)

        def forward(self, x):
            out = (x - self.mean.to(x.device)) / self.std.to(x.device)
            out = torch.relu(self.bn1(self.conv1(out))).mean(dim=(2, 3))
            return self.linear(out)

    def ResNet50():
        return ResNet()
''')


class CommandTest(unittest.TestCase):
    """The diffpure-cifar10 command on a stand-in checkout (classifiers/cifar10_resnet.py with a tiny ResNet50)."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        os.makedirs(os.path.join(self.dir.name, "repo", "classifiers"))
        with open(os.path.join(self.dir.name, "repo", "classifiers", "cifar10_resnet.py"), "w") as f:
            f.write(CHECKOUT_RESNET)
        self.repo = os.path.join(self.dir.name, "repo")

    def tearDown(self):
        self.dir.cleanup()

    def run_cli(self, *args):
        return cli.main(["diffpure-cifar10", "--repo", self.repo, "--arch", "resnet-50", *args])

    def test_checkpoint_with_dataparallel_prefix_is_exported(self):
        torch.manual_seed(0)
        sys.path.insert(0, os.path.join(self.repo, "classifiers"))
        try:
            standin = common.import_file(os.path.join(self.repo, "classifiers", "cifar10_resnet.py"), "standin")
        finally:
            sys.path.pop(0)
        net = standin.ResNet50()
        common.randomize(net, 9)
        ckpt = os.path.join(self.dir.name, "weights.pt")
        torch.save({"module." + k: v for k, v in net.state_dict().items()}, ckpt)
        out = os.path.join(self.dir.name, "out", "resnet50.pt")
        self.assertEqual(self.run_cli("--checkpoint", ckpt, "--out", out), 0)
        with open(out[:-3] + ".json") as f:
            m = json.load(f)
        self.assertIn("weights.pt", m["source"])
        x = torch.rand(3, 3, 32, 32)
        with torch.no_grad():
            torch.testing.assert_close(torch.jit.load(out).eval()(x), net.eval()(x))

    def test_checkpoint_for_another_architecture_is_refused_naming_the_keys(self):
        ckpt = os.path.join(self.dir.name, "other.pt")
        torch.save({"fc.weight": torch.zeros(2, 2)}, ckpt)
        err = self.capture(lambda: self.run_cli("--checkpoint", ckpt, "--out", os.path.join(self.dir.name, "x.pt")))
        self.assertEqual(err[0], 1)
        self.assertIn("does not fit the architecture", err[1])
        self.assertIn("conv1.weight", err[1])
        self.assertIn("fc.weight", err[1])

    def test_random_weights_are_marked_in_the_manifest(self):
        out = os.path.join(self.dir.name, "r.pt")
        self.assertEqual(self.run_cli("--random-weights", "5", "--out", out), 0)
        with open(out[:-3] + ".json") as f:
            self.assertIn("RANDOM WEIGHTS (seed 5)", json.load(f)["source"])

    def test_wrong_checkout_is_named(self):
        err = self.capture(lambda: cli.main(["diffpure-cifar10", "--repo", self.dir.name, "--arch", "resnet-50",
                                             "--random-weights", "1", "--out", os.path.join(self.dir.name, "y.pt")]))
        self.assertEqual(err[0], 1)
        self.assertIn("does not contain classifiers/cifar10_resnet.py", err[1])

    @staticmethod
    def capture(fn):
        import contextlib
        import io

        buf = io.StringIO()
        with contextlib.redirect_stderr(buf):
            rc = fn()
        return rc, buf.getvalue()


class LpipsVggTest(unittest.TestCase):
    """tools/export_model.py lpips-vgg against LPIPS's formula written out here with plain functional calls from the
    same files: a torchvision-style VGG-16 state dict and a fake PerceptualSimilarity checkout holding
    lpips/weights/v0.1/vgg.pth with random (non-negative) linear layers."""

    SIZE = 16

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        g = torch.Generator().manual_seed(11)
        self.vgg = {}
        channels, index = 3, 0
        for v in perceptual.VGG16_LAYERS:
            if v == "M":
                index += 1
                continue
            self.vgg[f"features.{index}.weight"] = torch.randn(v, channels, 3, 3, generator=g) / (3 * channels ** 0.5)
            self.vgg[f"features.{index}.bias"] = 0.1 * torch.randn(v, generator=g)
            channels, index = v, index + 2
        self.vgg["classifier.0.weight"] = torch.zeros(2, 2)  # a real checkpoint has the classifier too: ignored
        self.vgg_path = os.path.join(self.dir.name, "vgg16.pth")
        torch.save(self.vgg, self.vgg_path)
        self.lins = {f"lin{k}.model.1.weight": torch.rand(1, c, 1, 1, generator=g)
                     for k, c in enumerate(perceptual.VGG16_TAP_CHANNELS)}
        self.repo = os.path.join(self.dir.name, "PerceptualSimilarity")
        os.makedirs(os.path.join(self.repo, "lpips", "weights", "v0.1"))
        torch.save(self.lins, os.path.join(self.repo, perceptual.LPIPS_WEIGHTS))

    def tearDown(self):
        self.dir.cleanup()

    def reference(self, a, b):
        """LPIPS v0.1 (lpips.LPIPS(net='vgg')(a, b, normalize=True)) from the two weight files."""
        shift = torch.tensor([-.030, -.088, -.188]).view(1, 3, 1, 1)
        scale = torch.tensor([.458, .448, .450]).view(1, 3, 1, 1)

        def taps(x):
            h = ((2 * x - 1) - shift) / scale
            out, index = [], 0
            for v in perceptual.VGG16_LAYERS:
                if v == "M":
                    h = torch.nn.functional.max_pool2d(h, 2)
                    index += 1
                    continue
                h = torch.relu(torch.nn.functional.conv2d(h, self.vgg[f"features.{index}.weight"],
                                                          self.vgg[f"features.{index}.bias"], padding=1))
                if index + 1 in perceptual.VGG16_TAPS:
                    out.append(h)
                index += 2
            return out

        total = 0
        for k, (fa, fb) in enumerate(zip(taps(a), taps(b))):
            na = fa / (fa.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            nb = fb / (fb.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            total = total + (((na - nb) ** 2) * self.lins[f"lin{k}.model.1.weight"]).sum(1).mean((1, 2))
        return total

    def test_export_matches_lpips_formula_and_is_zero_on_equal_images(self):
        out = os.path.join(self.dir.name, "lpips.pt")
        rc = cli.main(["lpips-vgg", "--repo", self.repo, "--checkpoint", self.vgg_path, "--image-size",
                       str(self.SIZE), "--out", out])
        self.assertEqual(rc, 0)
        manifest = json.load(open(common.manifest_path_for(out)))
        self.assertEqual(manifest["kind"], "perceptual")
        self.assertEqual(manifest["input-shape"], [3, self.SIZE, self.SIZE])
        self.assertEqual(manifest["probe"]["seed"], common.PERCEPTUAL_PROBE_SEED)
        self.assertNotIn("classes", manifest)
        loaded = torch.jit.load(out)
        g = torch.Generator().manual_seed(3)
        a = torch.rand(4, 3, self.SIZE, self.SIZE, generator=g)
        b = (a + 0.05 * torch.randn(a.shape, generator=g)).clamp(0, 1)
        with torch.no_grad():
            got = loaded(a, b)
            expected = self.reference(a, b)
            self.assertEqual(list(got.shape), [4])
            self.assertTrue(torch.allclose(got, expected, rtol=1e-4, atol=1e-7), f"{got} vs {expected}")
            self.assertTrue(bool((got > 0).all()))
            self.assertEqual(float(loaded(a, a).abs().max()), 0.0)

    def test_lpips_weights_missing_from_the_checkout_are_named(self):
        os.remove(os.path.join(self.repo, perceptual.LPIPS_WEIGHTS))
        err = CommandTest.capture(lambda: cli.main(["lpips-vgg", "--repo", self.repo, "--checkpoint", self.vgg_path,
                                                    "--out", os.path.join(self.dir.name, "x.pt")]))
        self.assertEqual(err[0], 1)
        self.assertIn("does not contain lpips/weights/v0.1/vgg.pth", err[1])


class PixelDistanceTest(unittest.TestCase):
    """tools/export_model.py pixel-distance: the exported model is the pixel distance it names, with a manifest."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def test_linf_and_l2_exports_measure_the_pixel_distance(self):
        g = torch.Generator().manual_seed(5)
        a = torch.rand(5, 2, 3, 4, generator=g)
        b = torch.rand(5, 2, 3, 4, generator=g)
        for norm, expected in (("linf", (a - b).abs().flatten(1).max(1).values),
                               ("l2", (a - b).flatten(1).pow(2).sum(1).sqrt())):
            out = os.path.join(self.dir.name, norm + ".pt")
            self.assertEqual(cli.main(["pixel-distance", "--norm", norm, "--shape", "2,3,4", "--out", out]), 0)
            manifest = json.load(open(common.manifest_path_for(out)))
            self.assertEqual(manifest["kind"], "perceptual")
            self.assertEqual(manifest["input-shape"], [2, 3, 4])
            self.assertEqual(manifest["parameters"], 0)
            with torch.no_grad():
                got = torch.jit.load(out)(a, b)
            self.assertTrue(torch.allclose(got, expected, rtol=1e-6), f"{norm}: {got} vs {expected}")

    def test_weights_and_bad_shapes_are_refused_by_name(self):
        out = os.path.join(self.dir.name, "x.pt")
        rc, err = CommandTest.capture(lambda: cli.main(["pixel-distance", "--norm", "linf", "--shape", "1,1,2",
                                                        "--checkpoint", "w.pth", "--out", out]))
        self.assertEqual(rc, 1)
        self.assertIn("drop --checkpoint", err)
        rc, err = CommandTest.capture(lambda: cli.main(["pixel-distance", "--norm", "l2", "--shape", "1,2",
                                                        "--out", out]))
        self.assertEqual(rc, 1)
        self.assertIn("--shape must be C,H,W", err)
        rc, err = CommandTest.capture(lambda: cli.main(["pixel-distance", "--norm", "l2", "--shape", "1,a,2",
                                                        "--out", out]))
        self.assertEqual(rc, 1)
        self.assertIn("found '1,a,2'", err)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
