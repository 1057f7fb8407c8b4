#!/usr/bin/python3
"""PyTorch's side of `rr bench --train`: the same training step, timed the same way.

  /usr/bin/python3 training/scripts/torch_train_bench.py --model resnet20 --batch 128 --size 32 --steps 10 --threads 2

Step = zero_grad, forward, CrossEntropyLoss(label_smoothing=0.1), backward, SGD(lr 0.01, momentum 0.9,
nesterov, weight_decay 5e-4), on a fixed random batch after 2 warm-up steps. Prints one JSON line:
{"model":..., "batch":..., "size":..., "threads":..., "median_ms":..., "images_per_s":...}.
The CIFAR ResNets (resnet20/32/44/56/110) are built like our engine's: 3x3 stem, 16/32/64 channels,
1x1 conv + BN projection shortcuts; ImageNet names come from torchvision.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import BasicBlock


class CifarResNet(nn.Module):
    def __init__(self, depth, classes=10, in_ch=3):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_ch, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        inplanes = 16
        stages = []
        for s, planes in enumerate((16, 32, 64)):
            blocks = []
            for b in range(n):
                stride = 2 if (s > 0 and b == 0) else 1
                down = None
                if stride != 1 or inplanes != planes:
                    down = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
                blocks.append(BasicBlock(inplanes, planes, stride, down))
                inplanes = planes
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def build(name, classes, in_ch):
    if name in ("resnet20", "resnet32", "resnet44", "resnet56", "resnet110"):
        return CifarResNet(int(name[6:]), classes, in_ch)
    m = getattr(torchvision.models, name)(num_classes=classes)
    if in_ch != 3:
        m.conv1 = nn.Conv2d(in_ch, 64, 7, 2, 3, bias=False)
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="resnet20")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--channels", type=int, default=3)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = build(a.model, a.classes, a.channels)
    net.train()
    x = torch.randn(a.batch, a.channels, a.size, a.size)
    y = torch.randint(0, a.classes, (a.batch,))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
    times = []
    for s in range(-a.warmup, a.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        loss_fn(net(x), y).backward()
        opt.step()
        if s >= 0:
            times.append((time.perf_counter() - t0) * 1000)
    med = statistics.median(times)
    print(json.dumps({"model": a.model, "batch": a.batch, "size": a.size, "threads": torch.get_num_threads(),
                      "median_ms": med, "min_ms": min(times), "images_per_s": a.batch * 1000 / med}))


if __name__ == "__main__":
    main()
