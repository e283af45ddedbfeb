"""The three score models of the paper, built from the user's checkout of the official code.

score-sde-cifar10   score_sde vp/cifar10_ddpmpp_deep_continuous (checkpoint_8.pth), EMA weights,
                    eps_hat = net(x, 999 t)
guided-imagenet     guided-diffusion 256x256_diffusion_uncond.pt, eps_hat = net(x, floor(1000 t))[:, :3]
sdedit-celebahq     SDEdit celeba_hq.ckpt (DDPM UNet), eps_hat = net(x, floor(1000 t))
"""
import os
import types

import torch

from . import common
from .common import ExportError, Spec
from .wrappers import ContinuousTimeEps, DiscreteStepEps


def _ns(d):
    return types.SimpleNamespace(**{k: _ns(v) if isinstance(v, dict) else v for k, v in d.items()})


# configs/vp/cifar10_ddpmpp_deep_continuous.py of score_sde_pytorch = DiffPure configs/cifar10.yml.
DDPMPP_DEEP_CONTINUOUS = {
    "data": {"image_size": 32, "num_channels": 3, "centered": True},
    "training": {"continuous": True, "sde": "vpsde"},
    "model": {
        "name": "ncsnpp", "sigma_min": 0.01, "sigma_max": 50, "num_scales": 1000, "beta_min": 0.1, "beta_max": 20.0,
        "dropout": 0.1, "scale_by_sigma": False, "ema_rate": 0.9999, "normalization": "GroupNorm",
        "nonlinearity": "swish", "nf": 128, "ch_mult": (1, 2, 2, 2), "num_res_blocks": 8, "attn_resolutions": (16,),
        "resamp_with_conv": True, "conditional": True, "fir": False, "fir_kernel": [1, 3, 3, 1], "skip_rescale": True,
        "resblock_type": "biggan", "progressive": "none", "progressive_input": "none", "progressive_combine": "sum",
        "attention_type": "ddpm", "init_scale": 0.0, "embedding_type": "positional", "fourier_scale": 16,
        "conv_size": 3,
    },
    "device": "cpu",
}

FIR_REASON = "fir is off in cifar10_ddpmpp_deep_continuous, so the CUDA FIR kernels it compiles at import never run"


def _ncsnpp_module(repo):
    """NVlabs/DiffPure vendors score_sde as the package score_sde; yang-song/score_sde_pytorch has models/ at the
    top. Either way the CUDA ops package (compiled at import time) is replaced by a stub, see FIR_REASON."""
    if os.path.exists(os.path.join(repo, "score_sde", "models", "ncsnpp.py")):
        common.add_repo(repo, "score_sde/models/ncsnpp.py")
        import score_sde  # noqa: F401  (namespace package; the stub goes beneath it)

        common.stub_module("score_sde.op", FIR_REASON, ["upfirdn2d", "fused_leaky_relu", "FusedLeakyReLU"])
        import score_sde.models.ncsnpp as ncsnpp
    else:
        common.add_repo(repo, "models/ncsnpp.py")
        common.stub_module("op", FIR_REASON, ["upfirdn2d", "fused_leaky_relu", "FusedLeakyReLU"])
        import models.ncsnpp as ncsnpp
    return ncsnpp


def build_ddpmpp(args):
    ncsnpp = _ncsnpp_module(args.repo)
    config = _ns(DDPMPP_DEEP_CONTINUOUS)
    if args.random_weights is not None:
        torch.manual_seed(args.random_weights)
    net = ncsnpp.NCSNpp(config)
    if args.random_weights is not None:
        common.randomize(net, args.random_weights)
        weights = common.RANDOM_WEIGHTS_NOTE.format(seed=args.random_weights)
    else:
        ckpt = common.load_checkpoint(args.checkpoint)
        for key in ("model", "ema"):
            if key not in ckpt:
                raise ExportError(f"checkpoint {args.checkpoint} has no '{key}' entry (found {list(ckpt)}); "
                                  "expected a score_sde training checkpoint such as checkpoint_8.pth")
        # As DiffPure's restore_checkpoint: model state (strict=False), then the EMA shadow parameters over it.
        net.load_state_dict(common.strip_prefix(ckpt["model"], "module."), strict=False)
        shadow = ckpt["ema"]["shadow_params"]
        params = list(net.parameters())
        if len(shadow) != len(params):
            raise ExportError(f"checkpoint {args.checkpoint}: {len(shadow)} EMA parameters, the architecture has "
                              f"{len(params)}: not a cifar10_ddpmpp_deep_continuous checkpoint")
        with torch.no_grad():
            for p, s in zip(params, shadow):
                if p.shape != s.shape:
                    raise ExportError(f"checkpoint {args.checkpoint}: EMA parameter of shape {list(s.shape)} where "
                                      f"the architecture has {list(p.shape)}")
                p.copy_(s)
        weights = f"{os.path.basename(args.checkpoint)} (EMA weights, step {ckpt.get('step', '?')})"
    spec = Spec("score-model", args.name or "ddpmpp-deep-cifar10", [3, 32, 32], "trace",
                source=f"score_sde vp/cifar10_ddpmpp_deep_continuous: {weights}; code {args.repo}",
                t_min=1e-5, t_max=1.0, time_label="continuous: eps_hat = net(x, 999 t)")
    return ContinuousTimeEps(net.eval(), 999.0), spec


# DiffPure configs/imagenet.yml over guided_diffusion's model_and_diffusion_defaults().
GUIDED_256_UNCOND = {
    "attention_resolutions": "32,16,8", "class_cond": False, "diffusion_steps": 1000, "rescale_timesteps": True,
    "timestep_respacing": "1000", "image_size": 256, "learn_sigma": True, "noise_schedule": "linear",
    "num_channels": 256, "num_head_channels": 64, "num_res_blocks": 2, "resblock_updown": True, "use_fp16": False,
    "use_scale_shift_norm": True,
}


def _plain_call(func, inputs, params, flag):
    """guided_diffusion.nn.checkpoint without the recomputation: the same forward values."""
    return func(*inputs)


class _CheckpointFree(torch.nn.Module):
    """Runs the network with guided_diffusion.unet.checkpoint replaced by a plain call. AttentionBlock always goes
    through the gradient-checkpointing autograd Function (flag True in the official code), which torch.jit.trace
    cannot record; the Function's forward is func(*inputs) under no_grad, so the values are the same, and
    build_guided measures that on one row before exporting."""

    def __init__(self, net, unet_module):
        super().__init__()
        self.net = net
        self.unet_module = unet_module

    def forward(self, x, steps):
        original = self.unet_module.checkpoint
        self.unet_module.checkpoint = _plain_call
        try:
            return self.net(x, steps)
        finally:
            self.unet_module.checkpoint = original


def build_guided(args):
    common.add_repo(args.repo, "guided_diffusion/script_util.py")
    from guided_diffusion import script_util, unet

    config = script_util.model_and_diffusion_defaults()
    config.update(GUIDED_256_UNCOND)
    names = script_util.create_model.__code__.co_varnames[: script_util.create_model.__code__.co_argcount]
    model_args = {k: v for k, v in config.items() if k in names}
    if args.random_weights is not None:
        torch.manual_seed(args.random_weights)
    net = script_util.create_model(**model_args)
    if args.random_weights is not None:
        common.randomize(net, args.random_weights)
        weights = common.RANDOM_WEIGHTS_NOTE.format(seed=args.random_weights)
    else:
        ckpt = common.load_checkpoint(args.checkpoint)
        common.load_strict(net, common.state_dict_of(ckpt, args.checkpoint), args.checkpoint)
        weights = os.path.basename(args.checkpoint)
    # The reference converts the UNet to fp16 on the GPU; the export keeps float32 (libtorch on CPU has no
    # half-precision convolutions), so outputs differ from the reference's by fp16 rounding only.
    spec = Spec("score-model", args.name or "guided-256-uncond", [3, 256, 256], "trace",
                source=f"guided-diffusion 256x256 unconditional: {weights}, float32; code {args.repo}",
                t_min=0.0, t_max=0.999,
                time_label="discrete: eps_hat = net(x, floor(1000 t))[:, :3] (learned sigma dropped)")
    net = net.eval()
    size = GUIDED_256_UNCOND["image_size"]
    g = torch.Generator().manual_seed(3)
    x = torch.rand(1, 3, size, size, generator=g) * 2 - 1
    steps = torch.tensor([150])
    with torch.no_grad():
        official = net(x, steps)
        plain = _CheckpointFree(net, unet)(x, steps)
    diff = float((official - plain).abs().max())
    print(f"official checkpointed attention vs plain call, one row at step 150: max abs difference {diff:.3g}",
          flush=True)
    if diff > args.tolerance * max(1.0, float(official.abs().max())):
        raise ExportError(f"replacing guided_diffusion's checkpoint changed the output by {diff:.3g}")
    return DiscreteStepEps(_CheckpointFree(net, unet), 1000, keep_channels=3), spec


# SDEdit / DiffPure configs/celeba.yml
SDEDIT_CELEBA_HQ = {
    "data": {"dataset": "CelebA_HQ", "image_size": 256, "channels": 3},
    "model": {"type": "simple", "in_channels": 3, "out_ch": 3, "ch": 128, "ch_mult": [1, 1, 2, 2, 4, 4],
              "num_res_blocks": 2, "attn_resolutions": [16], "dropout": 0.0, "var_type": "fixedsmall",
              "ema_rate": 0.999, "ema": True, "resamp_with_conv": True},
    "diffusion": {"beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02, "num_diffusion_timesteps": 1000},
}


def build_sdedit(args):
    """DiffPure vendors the model as ddpm/unet_ddpm.py; SDEdit has it as models/diffusion.py (class Model)."""
    repo = args.repo
    if repo and os.path.exists(os.path.join(repo, "ddpm", "unet_ddpm.py")):
        module = common.import_file(os.path.join(repo, "ddpm", "unet_ddpm.py"), "diffpure_ddpm_unet")
    else:
        common.add_repo(repo, "models/diffusion.py")
        module = common.import_file(os.path.join(repo, "models", "diffusion.py"), "sdedit_diffusion")
    config = _ns(SDEDIT_CELEBA_HQ)
    if args.random_weights is not None:
        torch.manual_seed(args.random_weights)
    net = module.Model(config)
    if args.random_weights is not None:
        common.randomize(net, args.random_weights)
        weights = common.RANDOM_WEIGHTS_NOTE.format(seed=args.random_weights)
    else:
        ckpt = common.load_checkpoint(args.checkpoint)
        # celeba_hq.ckpt is a plain state dict: SDEdit and DiffPure both call model.load_state_dict(ckpt).
        state = common.strip_prefix(common.state_dict_of(ckpt, args.checkpoint), "module.")
        common.load_strict(net, state, args.checkpoint)
        weights = os.path.basename(args.checkpoint)
    spec = Spec("score-model", args.name or "sdedit-celeba-hq", [3, 256, 256], "trace",
                source=f"SDEdit CelebA-HQ DDPM: {weights}; code {repo}", t_min=0.0, t_max=0.999,
                time_label="discrete: eps_hat = net(x, floor(1000 t)); linear betas 1e-4..0.02 over 1000 steps")
    return DiscreteStepEps(net.eval(), 1000, keep_channels=0), spec


def register(sub, add_common):
    p = sub.add_parser("score-sde-cifar10", help="score_sde DDPM++ deep continuous, CIFAR-10 (checkpoint_8.pth)")
    add_common(p, "a checkout of NVlabs/DiffPure or yang-song/score_sde_pytorch")
    p.set_defaults(build=build_ddpmpp)
    p = sub.add_parser("guided-imagenet", help="guided-diffusion 256x256 unconditional, ImageNet")
    add_common(p, "a checkout of openai/guided-diffusion or NVlabs/DiffPure")
    p.set_defaults(build=build_guided)
    p = sub.add_parser("sdedit-celebahq", help="SDEdit's CelebA-HQ DDPM (celeba_hq.ckpt)")
    add_common(p, "a checkout of ermongroup/SDEdit or NVlabs/DiffPure")
    p.set_defaults(build=build_sdedit)

