#!/usr/bin/python3
"""Write the Go parity fixtures under synth/testdata/ (run with Debian's /usr/bin/python3).

For each tiny configuration this builds the networks of train/spade.py with random
weights, runs a few train-mode passes so batch-norm running statistics and the
spectral-norm vectors u, v are not trivial, switches to eval() and then writes

  fixture_<x>.safetensors      the model in the native format (spectral norm folded,
                               weights rounded to F16 and stored as F16)
  fixture_<x>_ref.safetensors  inputs and reference outputs:
      labels      [H, W] dataset ids at the render size
      z           [z_dim] (VAE configs)
      trace.<blk> [C, h, w] every block's output (spade.py's trace hook), trace.out the tanh image
                  (F32: the Go tests derive tensor2im's 8-bit image from it exactly)
    fixture a also holds
      labels_small [h', w'] ids at another size, with trace_small.out its output after PIL NEAREST
      photo       [h, w, 3] 0..255, mu / logvar and the enc.layer<i> traces of the style encoder
                  from layer 3 on (layers 1 and 2, at 128x128 and 64x64, are not stored)
      spectral.{weight_orig,u,v,weight} one conv's spectral-norm state and torch's eval weight

The reference outputs are computed by plain (non-spectral) copies of the networks
loaded with exactly the rounded, folded weights stored in the model file, so the Go
engine and PyTorch see identical parameters.

The files are committed, so they are kept small: ngf 1 (2 where 'most' needs it),
nhidden 4 or 2, the smallest crop each configuration allows. Small integers (ids,
8-bit pixels) are stored as F16, which holds them exactly, and so is trace_small.out:
a tanh output, which F16 rounds by at most 2^-12 = 2.4e-4, a quarter of the Go tests'
parity tolerance (1e-3). Every other reference value is F32.

    /usr/bin/python3 train/fixtures.py [--out synth/testdata]
"""

import argparse
import copy
import dataclasses
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spade  # noqa: E402


def write_safetensors(path, tensors, meta, fp16_names=()):
    """Minimal safetensors writer (the safetensors package is not installed here)."""
    header = {"__metadata__": meta} if meta else {}
    blobs = []
    off = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        if name in fp16_names:
            a, dt = a.astype("<f2"), "F16"
        else:
            a, dt = a.astype("<f4"), "F32"
        b = a.tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def get_edges(t):
    """The reference's get_edges: 1 where a 4-neighbour has another value."""
    e = torch.zeros_like(t, dtype=torch.bool)
    dx = t[:, :, :, 1:] != t[:, :, :, :-1]
    dy = t[:, :, 1:, :] != t[:, :, :-1, :]
    e[:, :, :, 1:] |= dx
    e[:, :, :, :-1] |= dx
    e[:, :, 1:, :] |= dy
    e[:, :, :-1, :] |= dy
    return e.float()


def semantics(ids, cfg, table):
    """ids [H,W] numpy -> (1, semantic_nc, H, W) one-hot (+ instance edges of the ids)."""
    ch = np.vectorize(lambda i: table[int(i)])(ids)
    t = torch.from_numpy(ch.astype(np.int64))[None]
    nc = cfg.label_nc + (1 if cfg.contain_dontcare_label else 0)
    oh = torch.zeros(1, nc, *ids.shape)
    oh.scatter_(1, t[:, None], 1.0)
    if not cfg.no_instance:
        oh = torch.cat([oh, get_edges(torch.from_numpy(ids.astype(np.int64))[None, None])], 1)
    return oh


def painting(h, w, ids, rng):
    """A landscape-like id map: sky, a wavy horizon, blobs, a few stray strokes."""
    y, x = np.mgrid[0:h, 0:w]
    out = np.full((h, w), ids[0], np.int64)
    horizon = h * 0.45 + h * 0.08 * np.sin(x / w * 2 * np.pi * 1.5 + rng.uniform(0, 6))
    out[y > horizon] = ids[1]
    out[y > horizon + h * 0.25] = ids[2]
    for _ in range(3):
        cy, cx, r = rng.uniform(0.3, 0.9) * h, rng.uniform(0, 1) * w, rng.uniform(0.05, 0.15) * min(h, w)
        out[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = ids[3]
    for i in range(12):  # isolated pixels and short strokes: worst cases for the band
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        out[cy:cy + rng.integers(1, 3), cx:cx + rng.integers(1, 4)] = ids[i % len(ids)]  # every id occurs
    return out


def fold(net):
    """state_dict with spectral norm folded (torch's eval weight) and batch-norm buffers kept."""
    sd = {}
    for k, v in net.state_dict().items():
        if k.endswith("num_batches_tracked") or k.endswith("weight_u") or k.endswith("weight_v"):
            continue
        if k.endswith("weight_orig"):
            mod = net.get_submodule(k[: -len(".weight_orig")])
            sd[k[: -len("_orig")]] = mod.weight.detach().clone()
            continue
        sd[k] = v.detach().clone()
    return sd


def rounded(sd):
    return {k: v.half().float() for k, v in sd.items()}


def plain_cfg(cfg):
    c = copy.copy(cfg)
    c.norm_G = cfg.norm_G.replace("spectral", "")
    c.norm_E = cfg.norm_E.replace("spectral", "")
    return c


def encoder_for(cfg):
    e = spade.ConvEncoder(cfg)
    if cfg.crop_size < 256:
        # spade.py (like the reference) sizes fc_mu for 4x4 features; with five layers
        # the features are 8x8, so size the linear layers for what they actually see.
        n = cfg.ngf * 8 * 8 * 8
        e.fc_mu = torch.nn.Linear(n, cfg.z_dim)
        e.fc_var = torch.nn.Linear(n, cfg.z_dim)
    return e


def randomize(net, gen):
    """Larger-than-training random parameters so every term matters in the comparison."""
    with torch.no_grad():
        for k, p in net.named_parameters():
            if k.endswith("bias"):
                p.copy_(torch.randn(p.shape, generator=gen) * 0.3)
            elif "mlp_gamma" in k or "mlp_beta" in k:
                p.mul_(1.5)


def make(name, cfg, ids, table, seed, out, labels_meta, spectral_conv, encoder=False, small=None):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    sw, sh = cfg.latent_size()
    n = {"normal": 5, "more": 6, "most": 7}[cfg.num_upsampling_layers]
    H, W = sh * 2 ** n, sw * 2 ** n
    G = spade.SPADEGenerator(cfg)
    randomize(G, gen)
    E = encoder_for(cfg) if encoder else None
    # Train-mode passes: running stats and u, v move away from their initial values.
    G.train()
    for _ in range(4):
        # Batches of two: batch norm's training statistics need more than one value
        # per channel, and a 1x1 first feature map (fixture c) has one per image.
        seg = torch.cat([semantics(painting(H, W, ids, rng), cfg, table) for _ in range(2)])
        z = torch.randn(2, cfg.z_dim, generator=gen) if cfg.use_vae else None
        with torch.no_grad():
            G(seg, z)
            if E is not None:
                E(torch.rand(1, 3, 64, 48, generator=gen) * 2 - 1)
    G.eval()
    if E is not None:
        E.eval()
    lab = painting(H, W, ids, rng)
    seg = semantics(lab, cfg, table)
    z = torch.randn(1, cfg.z_dim, generator=gen) if cfg.use_vae else None
    with torch.no_grad():
        G(seg, z)  # eval pre-hooks set module.weight from weight_orig, u, v
        if E is not None:
            E(torch.zeros(1, 3, 256, 256))
    sdG = rounded(fold(G))
    G2 = spade.SPADEGenerator(plain_cfg(cfg))
    G2.load_state_dict(sdG)
    G2.eval()
    model = {"netG." + k: v.numpy() for k, v in sdG.items()}
    ref = {"labels": lab.astype(np.float32)}
    trace = {}
    with torch.no_grad():
        G2(seg, z, trace=trace)
    spectral_ref = {}
    with torch.no_grad():
        unfolded = G(seg, z)
    print(name, "spectral vs folded+rounded max diff %.2e" % (unfolded - trace["out"]).abs().max().item())
    for k, v in trace.items():
        ref["trace." + k] = v[0].numpy()
    if z is not None:
        ref["z"] = z[0].numpy()
    if small is not None:
        hs, ws = small
        ls = painting(hs, ws, ids, rng)
        big = np.array(Image.fromarray(ls.astype(np.uint8)).resize((W, H), Image.NEAREST)).astype(np.int64)
        t2 = {}
        with torch.no_grad():
            G2(semantics(big, cfg, table), z, trace=t2)
        ref["labels_small"] = ls.astype(np.float32)
        ref["trace_small.out"] = t2["out"][0].numpy()
    # A small conv (the Go test folds it and compares with torch's eval weight).
    conv = G.get_submodule(spectral_conv)
    spectral_ref = {
        "spectral.weight_orig": conv.weight_orig.detach().numpy(),
        "spectral.u": conv.weight_u.detach().numpy(),
        "spectral.v": conv.weight_v.detach().numpy(),
        "spectral.weight": conv.weight.detach().numpy(),
    }
    ref.update(spectral_ref)
    if E is not None:
        sdE = rounded(fold(E))
        E2 = encoder_for(plain_cfg(cfg))
        E2.load_state_dict(sdE)
        E2.eval()
        model.update({"netE." + k: v.numpy() for k, v in sdE.items()})
        yy, xx = np.mgrid[0:48, 0:64]
        photo = np.stack([128 + 100 * np.sin(xx / 9.0 + c) * np.cos(yy / 7.0 - c) for c in range(3)], -1)
        photo = (photo + rng.normal(0, 12, photo.shape)).clip(0, 255).round()
        x = torch.from_numpy(photo.astype(np.float32)).permute(2, 0, 1)[None] / 127.5 - 1
        et = {}
        with torch.no_grad():
            mu, logvar = E2(x, trace=et)
        ref["photo"] = photo.astype(np.float32)
        ref["mu"] = mu[0].numpy()
        ref["logvar"] = logvar[0].numpy()
        for k, v in et.items():
            if k not in ("layer1", "layer2"):  # 128x128 and 64x64: the later layers and mu/logvar check them
                ref["enc." + k] = v[0].numpy()
    # Style presets: two rows, so the loader's styles path is exercised.
    if cfg.use_vae:
        model["styles"] = torch.randn(2, cfg.z_dim, generator=gen).numpy()
    meta = {
        "format": "spadework-model",
        "format_version": "1",
        "name": "Parity fixture " + name,
        "id": "fixture-" + name,
        "config": json.dumps(dataclasses.asdict(cfg)),
        "labels": json.dumps(labels_meta),
        "provenance": json.dumps({"source": "train/fixtures.py", "seed": seed}),
        "license": "test data",
    }
    if cfg.use_vae:
        meta["style_names"] = json.dumps(["first", "second"])
    write_safetensors(os.path.join(out, "fixture_%s.safetensors" % name), model, meta,
                      fp16_names=set(model))
    f16 = {"labels", "labels_small", "photo", "trace_small.out"}
    write_safetensors(os.path.join(out, "fixture_%s_ref.safetensors" % name), ref,
                      {"config": json.dumps(dataclasses.asdict(cfg))}, fp16_names=f16)
    print(name, "%dx%d" % (W, H), "weights", sum(v.size for v in model.values()),
          "ref values", sum(v.size for v in ref.values()))


def labels_meta(set_name, table, names, unlabeled):
    colors = ["#87ceeb", "#6b8e23", "#8b7355", "#228b22", "#4682b4", "#000000", "#ff0000"]
    ls = [{"id": i, "name": names[j], "color": colors[j % len(colors)]}
          for j, i in enumerate(sorted(k for k in table if k != unlabeled))]
    return {"set": set_name, "unlabeled": unlabeled, "labels": ls,
            "channels": [[k, table[k]] for k in sorted(table)]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "synth", "testdata"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    names = ["sky", "mountain", "field", "tree", "sea"]

    # (a) VAE, spectral batch norm 3x3, 'normal' (64x64), siftflow-style ids: 1..5 -> 0..4,
    # 0 -> don't care; with the style encoder and a label map of another size.
    ta = {0: 5, 1: 0, 2: 1, 3: 2, 4: 3, 5: 4}
    ca = spade.Config(label_nc=5, contain_dontcare_label=True, no_instance=True, ngf=1, nhidden=4,
                      norm_G="spectralspadebatch3x3", norm_E="spectralinstance",
                      num_upsampling_layers="normal", crop_size=64, use_vae=True, z_dim=16)
    make("a", ca, [1, 2, 3, 4, 5, 0], ta, 1, args.out, labels_meta("fixture", ta, names, 0),
         "up_1.conv_0", encoder=True, small=(48, 40))

    # (b) no VAE, spectral instance norm 5x5, instance edges, 'more', aspect ratio 2
    # (crop 128: 128x64 from a 2x1 first feature map); coco-style ids.
    tb = {10: 0, 11: 1, 12: 2, 13: 3, 14: 4, 255: 5}
    cb = spade.Config(label_nc=5, contain_dontcare_label=True, no_instance=False, ngf=1, nhidden=2,
                      norm_G="spectralspadeinstance5x5", num_upsampling_layers="more",
                      crop_size=128, aspect_ratio=2.0, use_vae=False, z_dim=16)
    make("b", cb, [10, 11, 12, 13, 14, 255], tb, 2, args.out, labels_meta("fixture", tb, names, 255),
         "up_1.conv_0")

    # (c) 'most' (crop 128: 128x128, the smallest it allows), sync batch norm, no VAE,
    # no don't-care channel. 'most' needs ngf >= 2 (up_4 has ngf/2 channels); the
    # 32-channel deep layers split into two column blocks in the Go engine.
    tc = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4}
    cc = spade.Config(label_nc=5, contain_dontcare_label=False, no_instance=True, ngf=2, nhidden=2,
                      norm_G="spectralspadesyncbatch3x3", num_upsampling_layers="most",
                      crop_size=128, use_vae=False, z_dim=16)
    make("c", cc, [0, 1, 2, 3, 4], tc, 3, args.out, labels_meta("fixture", tc, names, -1),
         "up_1.conv_0")


if __name__ == "__main__":
    main()
