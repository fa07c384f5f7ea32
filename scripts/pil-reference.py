"""Writes test/fixtures/pil-bilinear.json: PIL's Image.resize(BILINEAR) on 8-bit 'L' images,
the reference test/resize.test.ts checks resizeBilinear against (exact equality).

    python3 scripts/pil-reference.py      # needs Pillow and numpy (run with Pillow 9.4.0)
"""
import hashlib, json, os
import numpy as np
from PIL import Image, __version__ as pil_version

rng = np.random.RandomState(0)
noise = rng.randint(0, 256, (48, 48)).astype(np.uint8)
y, x = np.mgrid[0:48, 0:48]
smooth = ((np.sin(x / 5) + np.cos(y / 4)) * 60 + 128 + rng.randint(-20, 20, (48, 48))).clip(0, 255).astype(np.uint8)
cases = []
for name, im in (('noise', noise), ('smooth', smooth)):
    for w, h in ((20, 20), (13, 30), (64, 64), (200, 200), (197, 150)):
        out = np.asarray(Image.fromarray(im, 'L').resize((w, h), Image.BILINEAR))
        case = {'image': name, 'w': w, 'h': h, 'sha256': hashlib.sha256(out.tobytes()).hexdigest()}
        if w * h <= 1000:
            case['out'] = out.flatten().tolist()
        cases.append(case)
path = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'pil-bilinear.json')
with open(path, 'w') as f:
    json.dump({'pillow': pil_version, 'images': {'noise': noise.flatten().tolist(), 'smooth': smooth.flatten().tolist()},
               'cases': cases}, f)
print(path, len(cases), 'cases, Pillow', pil_version)
