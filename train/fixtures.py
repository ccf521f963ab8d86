#!/usr/bin/python3
"""Write the Go parity fixtures under synth/testdata/ (run with Debian's /usr/bin/python3).

For each tiny configuration this builds the networks of train/spade.py with random
weights, runs a few train-mode passes so batch-norm running statistics and the
spectral-norm vectors u, v are not trivial, switches to eval() and then writes

  fixture_<x>.safetensors      the model in the native format (spectral norm folded,
                               weights rounded to F16 and stored as F16); fixture c
                               instead is a PyTorch checkpoint, fixture_c.pth, that
                               the Go tests import (see below)
  fixture_<x>_labels.png       the label map: dataset ids at the render size (8-bit gray)
  fixture_<x>_out.png          the generator's whole tanh output x as a 16-bit RGB PNG,
                               round((x + 1) / 2 * 65535): within 1/65535 (1.5e-5) of
                               torch's float32 value, 1.5% of the Go tests' parity
                               tolerance (1e-3)
  fixture_<x>_ref.safetensors  the other inputs and reference values (F32):
      z           [z_dim] (VAE configs)
      trace.<blk> every block's output (spade.py's trace hook) at sampled positions:
                  with N = C*H*W values, all of them when N <= 256, else the 256
                  flat CHW indices splitmix64(k) mod N, k = 0..255 (SplitMix64 as
                  in Java's SplittableRandom: add 0x9e3779b97f4a7c15, then the two
                  xor-shift-multiply rounds and a final xor-shift). Metadata
                  `trace_shapes` holds every block's [C, H, W] ("out" included),
                  `trace_samples` 256.
    fixture a also holds
      trace_small.out  the output for fixture_a_labels_small.png (ids at another size,
                  resized like PIL NEAREST: fixture_a_labels_small_nearest.png), sampled
      mu, logvar  the style encoder's outputs for fixture_a_photo.png (8-bit RGB, 40x30),
                  and enc.layer<i> every encoder layer's output, sampled like the
                  traces (metadata `enc_shapes`)
      spectral.{weight_orig,u,v,weight} one conv's spectral-norm state and torch's eval weight

Fixtures a and b: the reference outputs are computed by plain (non-spectral) copies
of the networks loaded with exactly the rounded, folded weights stored in the model
file, so the Go engine and PyTorch see identical parameters.

Fixture c (the 'most' upsampling, which needs ngf 2: 32 channels in the deep layers)
is a checkpoint in the official layout, fixture_c.pth: the cityscapes preset with the
overrides the ref file's metadata `import` lists (synth.ImportOptions field names),
float16, its parameters stored as strided views of one vector like the importer
fixtures of train/make_pth_fixtures.py: 38 KB, where a 'most' model in the native
format takes 180 KB. Its reference outputs are torch's own spectral-norm generator in
eval mode, loaded from that file; the Go side sees the same parameters up to the
importer's spectral-norm fold (which TestImport checks to 2e-6, relative).

The files are committed, so they are kept small: ngf 1 (2 where 'most' needs it),
nhidden 1 or 2, the smallest crop each configuration allows, sampled traces.

    /usr/bin/python3 train/fixtures.py [--out synth/testdata]
"""

import argparse
import copy
import dataclasses
import json
import os
import struct
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_pth_fixtures as pthfix  # noqa: E402
import spade  # noqa: E402

SAMPLES = 256
MASK = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def positions(n):
    """The flat indices a trace of n values is checked at (the Go tests derive the same)."""
    if n <= SAMPLES:
        return list(range(n))
    return [splitmix64(k) % n for k in range(SAMPLES)]


def sampled(t):
    flat = t.detach().reshape(-1).numpy()
    return flat[positions(flat.size)]


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


def write_png16(path, chw):
    """A [3, H, W] tanh output in [-1, 1] as a 16-bit RGB PNG (PIL writes 16-bit
    gray only): round((x + 1) / 2 * 65535), rows filtered like libpng's default
    heuristic (the filter with the smallest sum of absolute bytes)."""
    q = np.round((np.clip(chw, -1, 1) + 1) / 2 * 65535).astype(">u2")
    c, h, w = q.shape
    raw = np.ascontiguousarray(q.transpose(1, 2, 0)).view(np.uint8).reshape(h, w * c * 2).astype(np.int32)
    bpp = c * 2
    prev = np.zeros(raw.shape[1], np.int32)
    rows = []
    for y in range(h):
        r = raw[y]
        left = np.concatenate([np.zeros(bpp, np.int32), r[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int32), prev[:-bpp]])
        p = left + prev - upleft
        pa, pb, pc = np.abs(p - left), np.abs(p - prev), np.abs(p - upleft)
        paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        cands = [(r - f) % 256 for f in (0, left, prev, (left + prev) // 2, paeth)]
        cost = [np.minimum(x, 256 - x).sum() for x in cands]
        best = int(np.argmin(cost))
        rows.append(bytes([best]) + cands[best].astype(np.uint8).tobytes())
        prev = r

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(b"".join(rows), 9)))
        f.write(chunk(b"IEND", b""))
    back = np.asarray(Image.open(path))  # PIL reads 16-bit RGB back as 8-bit: check the high bytes
    assert (back == (q.transpose(1, 2, 0) >> 8)).all(), path


def write_png8(path, a):
    Image.fromarray(a.astype(np.uint8)).save(path, optimize=True)


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


def render_size(cfg):
    sw, sh = cfg.latent_size()
    n = {"normal": 5, "more": 6, "most": 7}[cfg.num_upsampling_layers]
    return sh * 2 ** n, sw * 2 ** n


def settle(G, cfg, ids, table, gen, rng, E=None):
    """Train-mode passes: running stats and u, v move away from their initial values."""
    H, W = render_size(cfg)
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


def write_ref(out, name, cfg, lab, trace, ref, meta=None):
    """The label map and output PNGs and the ref file (sampled traces)."""
    shapes = {}
    for k, v in trace.items():
        if k == "out":
            write_png16(os.path.join(out, "fixture_%s_out.png" % name), v[0].numpy())
            print(name, "output in [%.3f, %.3f], %.1f%% beyond +-0.99" % (
                v.min().item(), v.max().item(), 100 * (v.abs() > 0.99).float().mean().item()))
        else:
            ref["trace." + k] = sampled(v[0])
        shapes[k] = list(v.shape[1:])
    write_png8(os.path.join(out, "fixture_%s_labels.png" % name), lab)
    m = {"config": json.dumps(dataclasses.asdict(cfg)), "trace_shapes": json.dumps(shapes),
         "trace_samples": str(SAMPLES)}
    m.update(meta or {})
    write_safetensors(os.path.join(out, "fixture_%s_ref.safetensors" % name), ref, m)


def make(name, cfg, ids, table, seed, out, labels_meta, spectral_conv=None, encoder=False, small=None):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    H, W = render_size(cfg)
    G = spade.SPADEGenerator(cfg)
    randomize(G, gen)
    E = encoder_for(cfg) if encoder else None
    settle(G, cfg, ids, table, gen, rng, E)
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
    ref = {}
    trace = {}
    with torch.no_grad():
        G2(seg, z, trace=trace)
        unfolded = G(seg, z)
    print(name, "spectral vs folded+rounded max diff %.2e" % (unfolded - trace["out"]).abs().max().item())
    if z is not None:
        ref["z"] = z[0].numpy()
    if small is not None:
        hs, ws = small
        ls = painting(hs, ws, ids, rng)
        big = np.array(Image.fromarray(ls.astype(np.uint8)).resize((W, H), Image.NEAREST)).astype(np.int64)
        t2 = {}
        with torch.no_grad():
            G2(semantics(big, cfg, table), z, trace=t2)
        write_png8(os.path.join(out, "fixture_%s_labels_small.png" % name), ls)
        write_png8(os.path.join(out, "fixture_%s_labels_small_nearest.png" % name), big)
        ref["trace_small.out"] = sampled(t2["out"][0])
    if spectral_conv is not None:
        # A small conv (the Go test folds it and compares with torch's eval weight).
        conv = G.get_submodule(spectral_conv)
        ref.update({
            "spectral.weight_orig": conv.weight_orig.detach().numpy(),
            "spectral.u": conv.weight_u.detach().numpy(),
            "spectral.v": conv.weight_v.detach().numpy(),
            "spectral.weight": conv.weight.detach().numpy(),
        })
    enc_shapes = {}
    if E is not None:
        sdE = rounded(fold(E))
        E2 = encoder_for(plain_cfg(cfg))
        E2.load_state_dict(sdE)
        E2.eval()
        model.update({"netE." + k: v.numpy() for k, v in sdE.items()})
        yy, xx = np.mgrid[0:30, 0:40]
        photo = np.stack([128 + 100 * np.sin(xx / 4.5 + c) * np.cos(yy / 3.5 - c) for c in range(3)], -1)
        photo = (photo + rng.normal(0, 12, photo.shape)).clip(0, 255).round()
        x = torch.from_numpy(photo.astype(np.float32)).permute(2, 0, 1)[None] / 127.5 - 1
        et = {}
        with torch.no_grad():
            mu, logvar = E2(x, trace=et)
        write_png8(os.path.join(out, "fixture_%s_photo.png" % name), photo)
        ref["mu"] = mu[0].numpy()
        ref["logvar"] = logvar[0].numpy()
        for k, v in et.items():
            ref["enc." + k] = sampled(v[0])
            enc_shapes[k] = list(v.shape[1:])
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
    write_ref(out, name, cfg, lab, trace, ref, {"enc_shapes": json.dumps(enc_shapes)} if enc_shapes else None)
    print(name, "%dx%d" % (W, H), "weights", sum(v.size for v in model.values()),
          "ref values", sum(v.size for v in ref.values()))


def make_imported(name, preset, overrides, ids, seed, out):
    """A fixture whose model is an official-layout checkpoint (fixture_<name>.pth,
    float16) that the Go tests import with the same options."""
    over = {"ngf": overrides["NGF"], "nhidden": overrides["NHidden"],
            "num_upsampling_layers": overrides["NumUpsampling"], "crop_size": overrides["Crop"],
            "aspect_ratio": overrides["Aspect"], "norm_G": overrides["NormG"]}
    kw = dict(pthfix.PRESETS[preset])
    kw.update(over)
    cfg = spade.Config(**kw)
    table = {i: i for i in range(cfg.label_nc)}  # cityscapes: labelIds are channels
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    G = spade.SPADEGenerator(cfg)
    s, views = pthfix.share(G, gen, pthfix.SCALE, True)
    settle(G, cfg, ids, table, gen, rng)
    pthfix.round_half(G, views)
    path = os.path.join(out, "fixture_%s.pth" % name)
    pthfix.save(pthfix.packed(G.state_dict(), torch.float16, s, views), path)
    G = pthfix.load_back(path, spade.SPADEGenerator(cfg))
    H, W = render_size(cfg)
    lab = painting(H, W, ids, rng)
    trace = {}
    with torch.no_grad():
        G(semantics(lab, cfg, table), None, trace=trace)
    write_ref(out, name, cfg, lab, trace, {}, {"import": json.dumps(dict(overrides, Preset=preset))})
    print(name, "%dx%d" % (W, H), "imported from", os.path.basename(path))


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
    for old in ("fixture_c.safetensors",):
        if os.path.exists(os.path.join(args.out, old)):
            os.remove(os.path.join(args.out, old))

    # (a) VAE, spectral batch norm 3x3, 'normal' (64x64), siftflow-style ids: 1..5 -> 0..4,
    # 0 -> don't care; with the style encoder and a label map of another size.
    ta = {0: 5, 1: 0, 2: 1, 3: 2, 4: 3, 5: 4}
    ca = spade.Config(label_nc=5, contain_dontcare_label=True, no_instance=True, ngf=1, nhidden=2,
                      norm_G="spectralspadebatch3x3", norm_E="spectralinstance",
                      num_upsampling_layers="normal", crop_size=64, use_vae=True, z_dim=4)
    make("a", ca, [1, 2, 3, 4, 5, 0], ta, 1, args.out, labels_meta("fixture", ta, names, 0),
         "up_1.conv_0", encoder=True, small=(48, 40))

    # (b) no VAE, spectral instance norm 5x5, instance edges, 'more', aspect ratio 2
    # (crop 128: 128x64 from a 2x1 first feature map); coco-style ids.
    tb = {10: 0, 11: 1, 12: 2, 13: 3, 14: 4, 255: 5}
    cb = spade.Config(label_nc=5, contain_dontcare_label=True, no_instance=False, ngf=1, nhidden=1,
                      norm_G="spectralspadeinstance5x5", num_upsampling_layers="more",
                      crop_size=128, aspect_ratio=2.0, use_vae=False, z_dim=16)
    make("b", cb, [10, 11, 12, 13, 14, 255], tb, 2, args.out, labels_meta("fixture", tb, names, 255))

    # (c) 'most' (crop 128: 128x128, the smallest it allows), sync batch norm, no VAE,
    # no don't-care channel (the cityscapes preset: 35 labelIds and instance edges).
    # 'most' needs ngf >= 2 (up_4 has ngf/2 channels); the 32-channel deep layers
    # split into two column blocks in the Go engine.
    make_imported("c", "cityscapes", {"NGF": 2, "NHidden": 2, "NumUpsampling": "most", "Crop": 128,
                                      "Aspect": 1.0, "NormG": "spectralspadesyncbatch3x3"},
                  [23, 11, 21, 7, 26, 0], 3, args.out)


if __name__ == "__main__":
    main()
