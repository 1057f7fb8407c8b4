#!/usr/bin/python3
"""Writes tests/data/training-goldens/resnet_mini.bin: PyTorch's numbers for one small ResNet.

Run with Debian's python (torch 1.13):  /usr/bin/python3 tests/scripts/make_training_goldens.py
The C# tests (tests/Training/App/GoldenTests.cs) rebuild the same model with our engine, load the
"init/" weights and check every other tensor to 1e-4 relative.

Model "resnet-mini": our CIFAR ResNet layout (3x3 stem of 16 channels, no max-pool, BasicBlocks with a
1x1 conv + BN "downsample" wherever the shape changes, global average pool, fc) with one block per
stage and stage widths 8/16/32, so the file stays small. Parameter names are torchvision's, as in our
engine. Input [3, 3, 11, 11] (odd size: stride-2 convolutions see an odd edge), 10 classes.

What is stored (all float32):
  input, labels (as floats), loss (label smoothing 0.1, mean), logits_train (training-mode forward),
  init/<name>     every parameter and BN buffer before anything runs (BN scales/shifts randomised so
                  their gradients are not trivial; running stats randomised too),
  grad/<name>     every parameter's gradient after one backward,
  buffers/<name>  BN running_mean / running_var after that training-mode forward (momentum 0.1),
  logits_eval     eval-mode logits with those updated running statistics,
  (and, as a separate file, that eval-mode network exported by torch.onnx.export: resnet_mini_folded.onnx,
   BatchNorm folded into numbered "onnx::Conv_N" initializers),
  sgd/<name>      weights after two SGD steps (lr 0.1, momentum 0.9, nesterov, weight decay 5e-4 on
                  conv/linear weights only) with the gradient above held fixed,
  adam/<name>     same for Adam (lr 1e-3, weight decay 1e-4 coupled, conv/linear weights only),
  adamw/<name>    same for AdamW (lr 1e-3, weight decay 1e-2 decoupled, conv/linear weights only),
  onecycle_lr, onecycle_momentum   OneCycleLR(max_lr 0.1, total_steps 37) per step, SGD momentum 0.9,
  multistep_lr    MultiStepLR(lr 0.1, milestones [18, 27], gamma 0.1) per step for 37 steps.

File layout (little-endian): int32 count, then per tensor: int32 name length, UTF-8 name,
int32 rank, int32 dims[rank], float32 data.
"""
import os
import struct

import torch
import torch.nn as nn
from torchvision.models.resnet import BasicBlock

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "training-goldens", "resnet_mini.bin")


def conv1x1(cin, cout, stride):
    return nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False)


class ResNetMini(nn.Module):
    def __init__(self, in_ch=3, classes=10, widths=(8, 16, 32)):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        inplanes = 16
        for s, planes in enumerate(widths):
            stride = 1 if s == 0 else 2
            down = None
            if stride != 1 or inplanes != planes:
                down = nn.Sequential(conv1x1(inplanes, planes, stride), nn.BatchNorm2d(planes))
            setattr(self, f"layer{s + 1}", nn.Sequential(BasicBlock(inplanes, planes, stride, down)))
            inplanes = planes
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def main():
    torch.manual_seed(1234)
    torch.set_num_threads(1)
    model = ResNetMini()
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.8, 1.2)
    tensors = []

    def add(name, t):
        tensors.append((name, t.detach().to(torch.float32).contiguous().clone()))

    x = torch.randn(3, 3, 11, 11)
    labels = torch.tensor([7, 0, 3])
    add("input", x)
    add("labels", labels.float())
    state0 = {k: v.clone() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    for k, v in state0.items():
        add("init/" + k, v)

    model.train()
    logits = model(x)
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)(logits, labels)
    loss.backward()
    add("logits_train", logits)
    add("loss", loss.reshape(1))
    grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    for n, g in grads.items():
        add("grad/" + n, g)
    for k, v in model.state_dict().items():
        if "running_" in k:
            add("buffers/" + k, v)
    model.eval()
    with torch.no_grad():
        add("logits_eval", model(x))
    # The same eval-mode network as torch.onnx.export writes it by default, for --init-from: torch 1.13
    # folds each BatchNorm into the conv before it and renames those initializers "onnx::Conv_N"
    # (it does so in eval mode even with do_constant_folding=False, so there is no "named" variant).
    torch.onnx.export(model, x, OUT.replace(".bin", "_folded.onnx"), opset_version=13,
                      input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})

    def decay_groups(wd):
        decay = [p for n, p in model.named_parameters() if n.endswith(".weight") and p.dim() > 1]
        rest = [p for n, p in model.named_parameters() if not (n.endswith(".weight") and p.dim() > 1)]
        return [{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}]

    def two_steps(prefix, make_opt):
        model.load_state_dict(state0, strict=False)
        opt = make_opt()
        for _ in range(2):
            for n, p in model.named_parameters():
                p.grad = grads[n].clone()
            opt.step()
        for n, p in model.named_parameters():
            add(prefix + "/" + n, p)

    two_steps("sgd", lambda: torch.optim.SGD(decay_groups(5e-4), lr=0.1, momentum=0.9, nesterov=True))
    two_steps("adam", lambda: torch.optim.Adam(decay_groups(1e-4), lr=1e-3, foreach=False))
    two_steps("adamw", lambda: torch.optim.AdamW(decay_groups(1e-2), lr=1e-3, foreach=False))

    steps = 37
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=steps)
    lrs, moms = [], []
    for i in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        if i < steps - 1:  # OneCycleLR refuses to step past total_steps
            sched.step()
    add("onecycle_lr", torch.tensor(lrs, dtype=torch.float64))
    add("onecycle_momentum", torch.tensor(moms, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[18, 27], gamma=0.1)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    add("multistep_lr", torch.tensor(lrs, dtype=torch.float64))

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as f:
        f.write(struct.pack("<i", len(tensors)))
        for name, t in tensors:
            nb = name.encode("utf-8")
            f.write(struct.pack("<i", len(nb)))
            f.write(nb)
            f.write(struct.pack("<i", t.dim()))
            for d in t.shape:
                f.write(struct.pack("<i", d))
            f.write(t.numpy().astype("<f4").tobytes())
    print(f"wrote {len(tensors)} tensors to {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes), loss {loss.item():.6f}")


if __name__ == "__main__":
    main()
