#!/usr/bin/python3
"""Writes testdata/painting_landscape.png: a 256x256 SIFT Flow id map painted by us
(sky, mountain, rock, tree, plant, sea, river, sand, grass, field, a building and a road)
with the irregular, many-boundary look of a real painting. Tests and benchmarks use it
instead of dataset label maps, which stay out of the repository.

    /usr/bin/python3 train/make_test_painting.py
"""
import os

import numpy as np
from PIL import Image

ids = dict(void=0, building=6, field=14, grass=15, mountain=17, plant=19, river=21, road=22,
           rock=23, sand=24, sea=25, sky=28, tree=32)
rng = np.random.default_rng(20261126)
h = w = 256
y, x = np.mgrid[0:h, 0:w].astype(np.float64)
lab = np.full((h, w), ids["sky"], np.uint8)


def wobble(freqs):
    out = np.zeros(w)
    for f in freqs:
        out += rng.uniform(2, 9) * np.sin(np.arange(w) * f / w * 2 * np.pi + rng.uniform(0, 6.3))
    return out


ridge = 95 + wobble([1, 3, 7, 13])
lab[y > ridge[None, :].repeat(h, 0)] = ids["mountain"]
ridge2 = 120 + wobble([2, 5, 11])
lab[(y > ridge2[None, :]) & (x > 150)] = ids["rock"]
shore = 150 + wobble([1, 4])
lab[y > shore[None, :]] = ids["sea"]
beach = 168 + wobble([2, 6])
lab[y > beach[None, :]] = ids["sand"]
meadow = 180 + wobble([3, 9])
lab[y > meadow[None, :]] = ids["grass"]
lab[(y > 215 + wobble([2])[None, :]) & (x > 120)] = ids["field"]
# A river winding down to the sea.
rc = 60 + 25 * np.sin(y / 40.0)
lab[(np.abs(x - rc) < 6 + (y - 180) / 12) & (y > meadow[None, :])] = ids["river"]
# Trees and plants: blobs.
for _ in range(14):
    cx, cy, r = rng.uniform(150, 250), rng.uniform(110, 150), rng.uniform(6, 16)
    lab[((x - cx) ** 2 + ((y - cy) * 1.4) ** 2 < r * r) & (lab != ids["sky"])] = ids["tree"]
for _ in range(10):
    cx, cy, r = rng.uniform(90, 250), rng.uniform(185, 250), rng.uniform(4, 10)
    lab[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = ids["plant"]
# A house and a road, and an unpainted (void) corner.
lab[(x > 200) & (x < 230) & (y > 190) & (y < 212)] = ids["building"]
lab[(np.abs(y - 0.35 * x - 150) < 3) & (x > 130)] = ids["road"]
lab[(x < 10) & (y > 246)] = ids["void"]
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "painting_landscape.png")
Image.fromarray(lab).save(out, optimize=True)
print(out, {k: int((lab == v).sum()) for k, v in ids.items()})
