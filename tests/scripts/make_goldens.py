#!/usr/bin/python3
"""Writes the PyTorch golden files under tests/data/goldens/ (committed; about 1.6 MB in all).

Run from the repository root with Debian's Python, which has torch 1.13, torchvision 0.14, onnx 1.12:

    /usr/bin/python3 tests/scripts/make_goldens.py

Tests never run this; they read what it wrote (tests/Goldens/*). Output is deterministic for a
given torch build (fixed seeds, single thread).

What it writes:
- <name>_opsetK.onnx: torch.onnx.export of each model in eval mode (BN folded into Conv by the
  exporter, torchvision-style tensor names such as /layer1/layer1.0/relu_1/Relu_output_0).
- <name>.input.npy, <name>.logits.npy, <name>.<layerK>.npy: a fixed input and PyTorch's outputs.
- <name>.weights.bin: the state_dict (without num_batches_tracked) as little-endian float32,
  concatenated in state_dict order (manifest.json lists each model's names and shapes). Tests feed these to our
  ResNetOnnxBuilder and compare its model with PyTorch, which checks the builder's structure.
- torchvision_shapes.json: state_dict names/shapes and parameter counts of the full-size
  torchvision models (no weights), against which ResNetSpec is checked.
- manifest.json: everything the tests need to know about the files above.

Models:
- cifar_resnet20: He et al. 2016 CIFAR ResNet-20 (3x3 stem, no max pool, 16/32/64, 3 blocks per
  stage) built from torchvision's BasicBlock, with projection (1x1 conv + BN) shortcuts where the
  shape changes — mirroring ResNetSpec.FromName("resnet20").
- tiny_basic, tiny_bottleneck (grouped 3x3, ResNeXt-style), tiny_cifar (1 input channel): narrow
  models made of torchvision's own BasicBlock/Bottleneck and ResNet._make_layer, so parameter
  names are torchvision's.
All have non-trivial BN: random affine parameters and running statistics from train-mode passes.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "data", "goldens")


class NarrowResNet(ResNet):
    """torchvision's ResNet with chosen stage widths, stage count and stem (ImageNet or CIFAR)."""

    def __init__(self, block, layers, widths, num_classes, groups=1, width_per_group=64, cifar=False, in_ch=3):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = widths[0]
        self.dilation = 1
        self.groups = groups
        self.base_width = width_per_group
        if cifar:
            self.conv1 = nn.Conv2d(in_ch, widths[0], kernel_size=3, stride=1, padding=1, bias=False)
            self.maxpool = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(in_ch, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.stage_names = []
        for i, (n, w) in enumerate(zip(layers, widths)):
            name = f"layer{i + 1}"
            setattr(self, name, self._make_layer(block, w, n, stride=1 if i == 0 else 2))
            self.stage_names.append(name)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[-1] * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for name in self.stage_names:
            x = getattr(self, name)(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def nontrivial_bn(model, in_shape, gen):
    """Random BN affine parameters, then running statistics from a few train-mode passes."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.normal_(0.0, 0.2, generator=gen)
        model.train()
        for _ in range(3):
            model(torch.randn(8, *in_shape[1:], generator=gen) * 1.5 + 0.3)
    model.eval()


def save_npy(name, array):
    array = np.ascontiguousarray(array, dtype="<f4")
    np.save(os.path.join(OUT, name), array, allow_pickle=False)
    return name


def state_entries(model):
    return [(k, v) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")]


def make(name, block, layers, widths, classes, input_shape, exports, taps, groups=1, width_per_group=64,
         cifar=False, weights=True, seed=0):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    in_ch = input_shape[1]
    model = NarrowResNet(block, layers, widths, classes, groups, width_per_group, cifar, in_ch)
    nontrivial_bn(model, input_shape, gen)
    x = torch.randn(*input_shape, generator=gen)

    captured = {}
    hooks = [getattr(model, t).register_forward_hook(lambda m, i, o, t=t: captured.__setitem__(t, o.detach().clone()))
             for t in taps]
    with torch.no_grad():
        logits = model(x)
    for h in hooks:
        h.remove()

    entry = {
        "name": name,
        "spec": {"block": "Bottleneck" if block is Bottleneck else "Basic", "layers": layers, "widths": widths,
                 "cifar": cifar, "groups": groups, "width_per_group": width_per_group, "in_channels": in_ch,
                 "classes": classes, "input_size": input_shape[2]},
        "depth": (3 if block is Bottleneck else 2) * sum(layers) + 2,
        "input": save_npy(f"{name}.input.npy", x.numpy()),
        "input_shape": list(input_shape),
        "logits": save_npy(f"{name}.logits.npy", logits.numpy()),
        "taps": {t: save_npy(f"{name}.{t}.npy", captured[t].numpy()) for t in taps},
        "parameter_count": sum(p.numel() for p in model.parameters()),
        "tensors": [{"name": k, "shape": list(v.shape)} for k, v in state_entries(model)],
        "exports": [],
    }
    for opset, dynamic in exports:
        fname = f"{name}_opset{opset}.onnx"
        torch.onnx.export(model, x, os.path.join(OUT, fname), opset_version=opset,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}} if dynamic else None,
                          do_constant_folding=True)
        entry["exports"].append({"file": fname, "opset": opset, "dynamic_batch": dynamic})
    if weights:
        entries = state_entries(model)
        blob = b"".join(np.ascontiguousarray(v.numpy(), dtype="<f4").tobytes() for _, v in entries)
        with open(os.path.join(OUT, f"{name}.weights.bin"), "wb") as f:
            f.write(blob)
        entry["weights"] = f"{name}.weights.bin"
    return entry


def torchvision_shapes():
    out = {}
    for arch in ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
                 "resnext50_32x4d", "resnext101_32x8d", "wide_resnet50_2"]:
        m = getattr(torchvision.models, arch)(weights=None)
        out[arch] = {"parameter_count": sum(p.numel() for p in m.parameters()),
                     "tensors": [[k, list(v.shape)] for k, v in state_entries(m)]}
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    models = [
        make("cifar_resnet20", BasicBlock, [3, 3, 3], [16, 32, 64], 10, (2, 3, 32, 32),
             exports=[(17, True)], taps=["layer3"], cifar=True, weights=False, seed=1),
        make("tiny_basic", BasicBlock, [1, 2, 1, 1], [6, 12, 16, 24], 5, (2, 3, 37, 37),
             exports=[(11, False), (17, True)], taps=["layer3"], seed=2),
        make("tiny_bottleneck", Bottleneck, [1, 1, 2, 1], [4, 8, 8, 16], 7, (1, 3, 33, 33),
             exports=[(13, True)], taps=["layer2"], groups=2, width_per_group=32, seed=3),
        make("tiny_cifar", BasicBlock, [1, 2, 1], [4, 8, 16], 3, (2, 1, 13, 13),
             exports=[(14, True)], taps=["layer1"], cifar=True, seed=4),
    ]
    shapes = torchvision_shapes()
    with open(os.path.join(OUT, "torchvision_shapes.json"), "w") as f:
        json.dump(shapes, f, separators=(",", ":"))
    manifest = {"torch": torch.__version__, "torchvision": torchvision.__version__, "models": models}
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, separators=(",", ":"))
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total / 1e6:.2f} MB, to {OUT}")
    for m in models:
        print(f"  {m['name']}: {m['parameter_count']} parameters, depth {m['depth']}, exports {[e['file'] for e in m['exports']]}")


if __name__ == "__main__":
    main()
