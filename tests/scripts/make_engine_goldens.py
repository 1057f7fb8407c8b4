#!/usr/bin/python3
"""Writes tests/data/engine/<case>.{txt,bin}: PyTorch's forward, loss and gradients for two small ResNets
built from torchvision's own BasicBlock/Bottleneck, which the C# engine must reproduce (EngineGoldenTests).

Run with Debian's torch:  /usr/bin/python3 tests/scripts/make_engine_goldens.py
Each case: <case>.bin holds float32 little-endian arrays back to back; <case>.txt has one line per array,
"kind name offset shape" (kind: param = weights loaded before the step, buffer = running stats before,
input, logits, loss, grad = d loss / d param, buffer_after = running stats after the training forward,
logits_eval = eval-mode logits after that), plus "labels ..." and "config ..." lines.
"""
import os
import numpy as np
import torch
import torch.nn as nn
from torchvision.models.resnet import BasicBlock, Bottleneck

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "engine")


class Net(nn.Module):
    """torchvision's ResNet layout with configurable stages (the engine's ResNetConfig)."""

    def __init__(self, block, layers, widths, groups, wpg, classes, inch, cifar):
        super().__init__()
        stem = 16 if cifar else 64
        self.conv1 = nn.Conv2d(inch, stem, 3, 1, 1, bias=False) if cifar else nn.Conv2d(inch, stem, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = None if cifar else nn.MaxPool2d(3, 2, 1)
        inplanes = stem
        for i, (n, w) in enumerate(zip(layers, widths)):
            blocks = []
            for b in range(n):
                stride = (1 if i == 0 else 2) if b == 0 else 1
                ds = None
                if b == 0 and (stride != 1 or inplanes != w * block.expansion):
                    ds = nn.Sequential(nn.Conv2d(inplanes, w * block.expansion, 1, stride, bias=False), nn.BatchNorm2d(w * block.expansion))
                blocks.append(block(inplanes, w, stride, ds, groups, wpg))
                inplanes = w * block.expansion
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.nstages = len(layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        if self.maxpool is not None:
            x = self.maxpool(x)
        for i in range(self.nstages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def write_case(name, config, net, x, labels, smoothing):
    torch.manual_seed(1)
    # Non-trivial BN parameters and running statistics, so scale/shift and the momentum update are exercised.
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.uniform_(m.bias, -0.2, 0.2)
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.8, 1.2)
    arrays = []

    def add(kind, n, t):
        arrays.append((kind, n, np.ascontiguousarray(t.detach().numpy().astype(np.float32))))

    sd = net.state_dict()
    for n, t in sd.items():
        if n.endswith("num_batches_tracked"):
            continue
        add("buffer" if "running" in n else "param", n, t)
    add("input", "x", x)
    net.train()
    logits = net(x)
    loss = nn.functional.cross_entropy(logits, labels, label_smoothing=smoothing)
    loss.backward()
    add("logits", "logits", logits)
    add("loss", "loss", loss.reshape(1))
    for n, p in net.named_parameters():
        add("grad", n, p.grad)
    for n, t in net.state_dict().items():
        if "running" in n:
            add("buffer_after", n, t)
    net.eval()
    with torch.no_grad():
        add("logits_eval", "logits", net(x))

    offset = 0
    with open(os.path.join(OUT, name + ".bin"), "wb") as fb, open(os.path.join(OUT, name + ".txt"), "w") as ft:
        ft.write(f"config {config}\n")
        ft.write(f"smoothing {smoothing}\n")
        ft.write("labels " + " ".join(str(int(v)) for v in labels) + "\n")
        for kind, n, a in arrays:
            fb.write(a.tobytes())
            ft.write(f"{kind} {n} {offset} {','.join(str(d) for d in a.shape)}\n")
            offset += a.size
    print(name, "arrays", len(arrays), "floats", offset, "loss", float(loss))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    # ImageNet stem (7x7/2 + max-pool), grouped Bottlenecks with projection shortcuts; 1 input channel.
    net = Net(Bottleneck, [1, 1], [8, 16], groups=4, wpg=16, classes=5, inch=1, cifar=False)
    x = torch.randn(3, 1, 29, 29)
    write_case("tiny_resnext", "bottleneck layers=1,1 widths=8,16 groups=4 wpg=16 classes=5 in=1 cifar=0", net, x, torch.tensor([0, 3, 4]), 0.1)
    torch.manual_seed(0)
    # CIFAR stem, BasicBlocks with 1x1 projection shortcuts; odd spatial size 11 -> 6 -> 3.
    net = Net(BasicBlock, [1, 1, 1], [16, 32, 64], groups=1, wpg=64, classes=7, inch=2, cifar=True)
    x = torch.randn(2, 2, 11, 11)
    write_case("cifar_resnet8", "basic layers=1,1,1 widths=16,32,64 groups=1 wpg=64 classes=7 in=2 cifar=1", net, x, torch.tensor([6, 2]), 0.0)


if __name__ == "__main__":
    main()
