"""Writes test/fixtures/pil-bilinear.json: PIL's Image.resize(BILINEAR) on 8-bit 'L' images,
the reference test/resize.test.ts checks resizeBilinear against (exact equality), and
test/fixtures/pil-filters.json: BOX, HAMMING, BICUBIC and LANCZOS, for resizeInto, with a
150x150 image shrunk to 48 as a face cut from a picture is. Rewrites both; run prettier after.

    python3 scripts/pil-reference.py      # needs Pillow and numpy (run with Pillow 9.4.0: Debian bookworm's python3-pil)
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

yy, xx = np.mgrid[0:150, 0:150]
big = (np.sin(xx / 3) * np.cos(yy / 7) * 100 + 128 + rng.randint(-25, 25, (150, 150))).clip(0, 255).astype(np.uint8)
images = {'noise': noise, 'smooth': smooth, 'big': big}
cases = []
for flt in ('box', 'hamming', 'bicubic', 'lanczos'):
    for name, w, h in (('noise', 20, 20), ('smooth', 13, 30), ('smooth', 64, 64), ('noise', 200, 200), ('big', 48, 48), ('big', 37, 61)):
        out = np.asarray(Image.fromarray(images[name], 'L').resize((w, h), getattr(Image, flt.upper())))
        case = {'filter': flt, 'image': name, 'w': w, 'h': h, 'sha256': hashlib.sha256(out.tobytes()).hexdigest()}
        if w * h <= 1000:
            case['out'] = out.flatten().tolist()
        cases.append(case)
path = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'pil-filters.json')
with open(path, 'w') as f:
    json.dump({'pillow': pil_version, 'cases': cases,
               'images': {k: {'width': v.shape[1], 'height': v.shape[0], 'pixels': v.flatten().tolist()} for k, v in images.items()}}, f)
print(path, len(cases), 'cases, Pillow', pil_version)
