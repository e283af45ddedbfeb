"""The paper's classifiers, built from the user's checkout of the official code (DiffPure utils.get_image_classifier).

robustbench-cifar10    RobustBench 'Standard' Linf WRN-28-10 (Standard.pt), raw [0,1] input
diffpure-cifar10       DiffPure's own WRN-70-16 with dropout 0.3 and ResNet-50 (classifiers/cifar10_resnet.py), CIFAR
                       mean/std already inside the official module
torchvision-imagenet   torchvision resnet50 / wide_resnet50_2 (IMAGENET1K_V1 weights), ImageNet mean/std added
deit-imagenet          DeiT-S (deit_small_patch16_224, facebookresearch/deit + timm), ImageNet mean/std added
celebahq-attribute     gan-ensembling's attribute nets (StyleGAN discriminator), (x - 0.5) / 0.5 in, [logit, -logit] out
"""
import os

import torch

from . import common
from .common import ExportError, Spec
from .wrappers import IMAGENET_MEAN, IMAGENET_STD, LogitPair, Normalized


def _weights(args, net, load):
    if args.random_weights is not None:
        common.randomize(net, args.random_weights)
        return common.RANDOM_WEIGHTS_NOTE.format(seed=args.random_weights)
    load(common.load_checkpoint(args.checkpoint))
    return os.path.basename(args.checkpoint)


def build_robustbench(args):
    path = os.path.join(common.add_repo(args.repo, "robustbench/model_zoo/architectures/wide_resnet.py"),
                        "robustbench", "model_zoo", "architectures", "wide_resnet.py")
    # Imported by file: robustbench/__init__ pulls in the downloaders, which the architecture does not need.
    module = common.import_file(path, "robustbench_wide_resnet")
    torch.manual_seed(args.random_weights or 0)
    net = module.WideResNet(depth=28, widen_factor=10)

    def load(ckpt):
        # As robustbench.utils.load_model: a 'state_dict' entry if present, DataParallel prefixes removed.
        state = common.strip_prefix(common.state_dict_of(ckpt, args.checkpoint, ("state_dict",)), "module.")
        common.load_strict(net, state, args.checkpoint)

    weights = _weights(args, net, load)
    # WideResNet's BasicBlock cannot be scripted (a variable defined in one branch only): traced in eval mode, so
    # BatchNorm uses its running statistics whatever mode the caller sets.
    spec = Spec("classifier", args.name or "robustbench-standard-wrn28-10", [3, 32, 32], "trace", classes=10,
                source=f"RobustBench cifar10 Linf Standard (WRN-28-10), raw [0,1] input: {weights}; code {args.repo}")
    return net.eval(), spec


def build_diffpure_cifar10(args):
    path = os.path.join(common.add_repo(args.repo, "classifiers/cifar10_resnet.py"), "classifiers",
                        "cifar10_resnet.py")
    module = common.import_file(path, "diffpure_cifar10_resnet")
    torch.manual_seed(args.random_weights or 0)
    if args.arch == "wrn-70-16-dropout":
        net = module.WideResNet_70_16_dropout()
        method = "trace"  # BasicBlock cannot be scripted; traced in eval mode (dropout off, BatchNorm frozen)
    else:
        net = module.ResNet50()
        method = "script"  # keeps BatchNorm's train/eval switch; the Java side evaluates in eval mode

    def load(ckpt):
        # As DiffPure utils.update_state_dict(..., idx_start=7): keys lose their 'module.' prefix.
        state = common.strip_prefix(common.state_dict_of(ckpt, args.checkpoint), "module.")
        common.load_strict(net, state, args.checkpoint)

    weights = _weights(args, net, load)
    spec = Spec("classifier", args.name or f"diffpure-cifar10-{args.arch}", [3, 32, 32], method, classes=10,
                source=f"DiffPure cifar10 {args.arch} (CIFAR mean/std inside the official module): {weights}; "
                       f"code {args.repo}")
    return net.eval(), spec


def build_torchvision(args):
    if args.repo:
        common.add_repo(args.repo, "torchvision/models/resnet.py")
    import torchvision

    torch.manual_seed(args.random_weights or 0)
    net = getattr(torchvision.models, args.arch)()

    def load(ckpt):
        common.load_strict(net, common.state_dict_of(ckpt, args.checkpoint), args.checkpoint)

    weights = _weights(args, net, load)
    spec = Spec("classifier", args.name or f"torchvision-{args.arch}", [3, 224, 224], "script", classes=1000,
                source=f"torchvision {args.arch} IMAGENET1K_V1, ImageNet mean/std inside: {weights}; "
                       f"torchvision {torchvision.__version__}")
    return Normalized(net.eval(), IMAGENET_MEAN, IMAGENET_STD), spec


def build_deit(args):
    common.add_repo(args.repo, "models.py")
    if args.timm:
        common.add_repo(args.timm, "timm/models/vision_transformer.py")
    try:
        module = common.import_file(os.path.join(os.path.abspath(args.repo), "models.py"), "deit_models")
    except ImportError as e:
        raise ExportError(f"cannot import {args.repo}/models.py ({e}): DeiT needs timm, give its checkout with "
                          "--timm or put it on PYTHONPATH") from e
    torch.manual_seed(args.random_weights or 0)
    net = getattr(module, args.arch)(pretrained=False)

    def load(ckpt):
        common.load_strict(net, common.state_dict_of(ckpt, args.checkpoint, ("model", "state_dict")),
                           args.checkpoint)

    weights = _weights(args, net, load)
    # timm's VisionTransformer cannot be scripted; traced in eval mode (no dropout or drop-path in eval).
    spec = Spec("classifier", args.name or args.arch.replace("_", "-"), [3, 224, 224], "trace", classes=1000,
                source=f"facebookresearch/deit {args.arch}, ImageNet mean/std inside: {weights}; code {args.repo}")
    return Normalized(net.eval(), IMAGENET_MEAN, IMAGENET_STD), spec


def build_attribute(args):
    """gan-ensembling networks/classifiers/attribute_classifier.py and DiffPure classifiers/attribute_net.py hold the same
    net; DiffPure's ClassifierWrapper feeds it (x - 0.5) / 0.5 and returns [logit, -logit]."""
    repo = os.path.abspath(args.repo) if args.repo else None
    for rel in ("classifiers/attribute_net.py", "networks/classifiers/attribute_classifier.py"):
        if repo and os.path.exists(os.path.join(repo, rel)):
            common.add_repo(repo, rel)
            module = common.import_file(os.path.join(repo, rel), "attribute_net_" + rel.split("/")[0])
            break
    else:
        raise ExportError(f"--repo {args.repo}: neither classifiers/attribute_net.py (NVlabs/DiffPure) nor "
                          "networks/classifiers/attribute_classifier.py (chail/gan-ensembling) found")
    torch.manual_seed(args.random_weights or 0)
    if args.random_weights is not None:
        net = module.D(num_channels=3, resolution=256, fixed_size=True, use_mbstd=False)
        weights = _weights(args, net, None)
    else:
        ckpt = common.load_checkpoint(args.checkpoint)
        state = common.state_dict_of(ckpt, args.checkpoint, ("state_dict",))
        net = module.from_state_dict(state, fixed_size=True, use_mbstd=False)
        weights = f"{os.path.basename(args.checkpoint)} (epoch {ckpt.get('epoch', '?')})"
    # WScaleLayer tests type(self.b) at run time: not scriptable; traced (no train/eval-dependent layers).
    spec = Spec("classifier", args.name or f"celebahq-{args.attribute.lower()}", [3, 256, 256], "trace", classes=2,
                source=f"gan-ensembling CelebA-HQ {args.attribute} attribute net, input (x-0.5)/0.5, output "
                       f"[logit, -logit]: {weights}; code {args.repo}")
    return LogitPair(net.eval()), spec


def register(sub, add_common):
    p = sub.add_parser("robustbench-cifar10", help="RobustBench Standard WRN-28-10 (CIFAR-10, Linf)")
    add_common(p, "a checkout of RobustBench/robustbench")
    p.set_defaults(build=build_robustbench)
    p = sub.add_parser("diffpure-cifar10", help="DiffPure's CIFAR-10 WRN-70-16 (dropout) or ResNet-50")
    add_common(p, "a checkout of NVlabs/DiffPure")
    p.add_argument("--arch", choices=["wrn-70-16-dropout", "resnet-50"], required=True)
    p.set_defaults(build=build_diffpure_cifar10)
    p = sub.add_parser("torchvision-imagenet", help="torchvision ResNet-50 / WRN-50-2 (ImageNet)")
    add_common(p, "optional: a torchvision checkout (default: the installed torchvision)")
    p.add_argument("--arch", choices=["resnet50", "wide_resnet50_2"], required=True)
    p.set_defaults(build=build_torchvision)
    p = sub.add_parser("deit-imagenet", help="DeiT-S (ImageNet)")
    add_common(p, "a checkout of facebookresearch/deit")
    p.add_argument("--arch", default="deit_small_patch16_224")
    p.add_argument("--timm", help="a checkout of huggingface/pytorch-image-models (else timm must be importable)")
    p.set_defaults(build=build_deit)
    p = sub.add_parser("celebahq-attribute", help="CelebA-HQ attribute net (gan-ensembling)")
    add_common(p, "a checkout of chail/gan-ensembling or NVlabs/DiffPure")
    p.add_argument("--attribute", required=True, help="e.g. Smiling, Eyeglasses")
    p.set_defaults(build=build_attribute)

