#!/usr/bin/python3
"""Writes tests/data/resize/bilinear_golden.json: PyTorch's bilinear resize of small random images, the outside
reference for the runtime's resize + centre crop (runtime/Imaging/Preprocessor.cs and shaders/preprocess.comp).

Run from the repository root with Debian's Python and torch (apt-get install python3-torch python3-numpy):

    /usr/bin/python3 tests/scripts/make_resize_golden.py

Tests never run this; tests/Imaging/BilinearGoldenTests.cs reads what it wrote. Output is deterministic (fixed seed,
float64 arithmetic; outputs rounded to 4 decimals).

Each case: a random RGB image (uint8, seed per case) of src_w x src_h; the geometry of torchvision's
Resize(shorter side -> S) + CenterCrop(dst), generalised to any output box as the runtime documents it (CropGeometry):
the smallest aspect-kept size that covers (dst_w, dst_h) / crop_ratio, sizes truncated like torchvision's
int(S * long / short), crop offsets rounded like Python's round(); then
F.interpolate(mode="bilinear", align_corners=False, antialias=False) to that size (half-pixel centres, no
antialiasing), cropped. Values stay on the 0..255 scale, unnormalised, so a test can apply any mean/std.
Sizes are odd and small (3..37), upsampling and downsampling in both directions.
"""
import json
import math

import numpy as np
import torch
import torch.nn.functional as F

OUT = "tests/data/resize/bilinear_golden.json"

# (src_w, src_h, dst_w, dst_h, crop_ratio)
CASES = [
    (13, 7, 5, 11, 1.0),        # up x1.57 in both directions; the crop cuts the width
    (7, 13, 11, 5, 1.0),        # the same, transposed: the crop cuts the height
    (37, 29, 9, 7, 1.0),        # down x0.24, no crop
    (29, 37, 7, 9, 1.0),        # down, transposed
    (23, 17, 7, 7, 7 / 8),      # torchvision Resize(8) + CenterCrop(7): down, crop both ways
    (5, 3, 13, 13, 13 / 16),    # torchvision Resize(16) + CenterCrop(13): up x5.3
    (37, 23, 24, 24, 224 / 256),  # the GL tests' model input (24x24, the default crop ratio): up
    (47, 35, 24, 24, 224 / 256),  # and down
]


def geometry(src_w, src_h, dst_w, dst_h, ratio):
    s = max(dst_w / ratio / src_w, dst_h / ratio / src_h)
    rw = max(dst_w, math.floor(src_w * s + 1e-9))
    rh = max(dst_h, math.floor(src_h * s + 1e-9))
    return rw, rh, round((rw - dst_w) / 2), round((rh - dst_h) / 2)


def main():
    torch.set_num_threads(1)
    cases = []
    for i, (sw, sh, dw, dh, ratio) in enumerate(CASES):
        img = np.random.default_rng(100 + i).integers(0, 256, size=(sh, sw, 3), dtype=np.uint8)
        rw, rh, left, top = geometry(sw, sh, dw, dh, ratio)
        x = torch.from_numpy(img.astype(np.float64)).permute(2, 0, 1).unsqueeze(0)
        y = F.interpolate(x, size=(rh, rw), mode="bilinear", align_corners=False, antialias=False)
        crop = y[0, :, top:top + dh, left:left + dw]
        cases.append({
            "src_w": sw, "src_h": sh, "dst_w": dw, "dst_h": dh, "crop_ratio": ratio,
            "resized_w": rw, "resized_h": rh, "left": left, "top": top,
            "input_rgb_hex": img.tobytes().hex(),                              # HWC, row-major
            "output_chw": [round(v, 4) for v in crop.reshape(-1).tolist()],    # 0..255 scale, to 5e-5
        })
    doc = {"generator": "tests/scripts/make_resize_golden.py", "torch": torch.__version__, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
