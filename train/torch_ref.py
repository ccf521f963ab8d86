#!/usr/bin/python3
"""PyTorch side of Spadework's speed and parity comparisons.

    # write a random-weight reference ADE20K generator (ngf 64, 151 channels, no VAE)
    /usr/bin/python3 train/torch_ref.py make-ade20k --out /tmp/ade20k.safetensors
    # time PyTorch on a native model file, on label PNGs (dataset ids), N threads
    /usr/bin/python3 train/torch_ref.py bench --model M.safetensors --labels a.png b.png --threads 2
    # render one frame with PyTorch (z = encoder mu of --style, or N(0,1) from --seed)
    /usr/bin/python3 train/torch_ref.py render --model M.safetensors --labels L.png --out O.png

The model is rebuilt from train/spade.py with spectral norm off (the file holds folded
weights), so the same file drives both engines.
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
import spade  # noqa: E402

ADE20K_CFG = dict(label_nc=150, contain_dontcare_label=True, no_instance=True, ngf=64, nhidden=128,
                  norm_G="spectralspadesyncbatch3x3", norm_E="spectralinstance",
                  num_upsampling_layers="normal", crop_size=256, aspect_ratio=1.0, use_vae=False, z_dim=256)


def build(path):
    tensors, meta = safetensors_io.read(path)
    cfgd = json.loads(meta["config"])
    cfg = spade.Config(**cfgd)
    cfg.norm_G = cfg.norm_G.replace("spectral", "")
    cfg.norm_E = cfg.norm_E.replace("spectral", "")
    G = spade.SPADEGenerator(cfg)
    G.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("netG.")}, strict=False)
    missing = [k for k in G.state_dict() if k.endswith("weight") and "netG." + k not in tensors]
    if missing:
        raise SystemExit("%s: missing %s" % (path, missing[:5]))
    E = None
    if any(k.startswith("netE.") for k in tensors):
        E = spade.ConvEncoder(cfg)
        E.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("netE.")})
        E.eval()
    G.eval()
    labels = json.loads(meta["labels"])
    table = np.full(256, -1, np.int64)
    for i, c in labels["channels"]:
        table[i] = c
    return G, E, cfg, table, tensors, meta


def seg_from_png(path, cfg, table, size):
    lab = Image.open(path)
    if lab.mode not in ("L", "P"):
        raise SystemExit("%s: want an 8-bit id map, got mode %s" % (path, lab.mode))
    if lab.size != size:
        lab = lab.resize(size, Image.NEAREST)
    ids = np.asarray(lab)
    ch = table[ids]
    if (ch < 0).any():
        raise SystemExit("%s: ids %s not in the model's label set" % (path, np.unique(ids[ch < 0])))
    seg = spade.one_hot(torch.from_numpy(ch).unsqueeze(0), cfg) if cfg.no_instance else None
    if seg is None:
        oh = torch.zeros(1, cfg.semantic_nc, ids.shape[0], ids.shape[1])
        oh[:, : cfg.semantic_nc - 1] = spade.one_hot(torch.from_numpy(ch).unsqueeze(0),
                                                     spade.Config(**{**cfg.__dict__, "no_instance": True}))
        t = torch.from_numpy(ids.astype(np.int64))
        e = torch.zeros_like(t, dtype=torch.bool)
        e[:, 1:] |= t[:, 1:] != t[:, :-1]
        e[:, :-1] |= t[:, 1:] != t[:, :-1]
        e[1:, :] |= t[1:, :] != t[:-1, :]
        e[:-1, :] |= t[1:, :] != t[:-1, :]
        oh[0, -1] = e.float()
        seg = oh
    return seg


def native_size(cfg):
    n = {"normal": 5, "more": 6, "most": 7}[cfg.num_upsampling_layers]
    sw, sh = cfg.latent_size()
    return sw * 2 ** n, sh * 2 ** n


def to_u8(x):
    a = (x[0].permute(1, 2, 0).numpy() + 1) / 2.0 * 255.0
    return np.clip(a, 0, 255).astype(np.uint8)


def cmd_make_ade20k(a):
    torch.manual_seed(a.seed)
    cfg = spade.Config(**{**ADE20K_CFG, "norm_G": "spadesyncbatch3x3"})
    G = spade.SPADEGenerator(cfg)
    sd = {}
    for k, v in G.state_dict().items():
        if k.endswith("num_batches_tracked"):
            continue
        if k.endswith("running_var"):
            v = torch.rand_like(v) * 0.5 + 0.5
        elif k.endswith("running_mean"):
            v = torch.randn_like(v) * 0.1
        elif k.endswith("weight"):
            fan_in = v[0].numel()
            v = torch.randn_like(v) / np.sqrt(fan_in)
        sd["netG." + k] = v
    names = ["label%d" % i for i in range(1, 151)]
    labels = {"set": "ade20k", "unlabeled": 0,
              "labels": [{"id": i + 1, "name": n, "color": "#808080"} for i, n in enumerate(names)],
              "channels": [[0, 150]] + [[i, i - 1] for i in range(1, 151)]}
    meta = {"format": "spadework-model", "format_version": "1", "name": "ADE20K reference shape, random weights",
            "id": "ade20k-random", "config": json.dumps(ADE20K_CFG), "labels": json.dumps(labels),
            "style_names": "[]", "provenance": json.dumps({"random_seed": a.seed}), "license": "test weights"}
    safetensors_io.write(a.out, sd, meta)
    print("wrote %s: %.1fM params, %.1f GMACs/frame" % (
        a.out, sum(v.numel() for v in sd.values()) / 1e6, spade.count_macs(G, cfg) / 1e9))


def cmd_bench(a):
    torch.set_num_threads(a.threads)
    G, _, cfg, table, _, meta = build(a.model)
    size = native_size(cfg)
    segs = [seg_from_png(p, cfg, table, size) for p in a.labels]
    z = torch.randn(1, cfg.z_dim) if cfg.use_vae else None
    times = []
    with torch.no_grad():
        for i in range(a.warmup + a.runs):
            seg = segs[i % len(segs)]
            t = time.perf_counter()
            G(seg, z)
            if i >= a.warmup:
                times.append((time.perf_counter() - t) * 1000)
    macs = spade.count_macs(G, cfg)
    med = statistics.median(times)
    print(json.dumps({"engine": "pytorch %s" % torch.__version__, "model": meta.get("id"), "threads": a.threads,
                      "size": "%dx%d" % size, "ms_median": round(med, 1), "ms_min": round(min(times), 1),
                      "runs": len(times), "dense_gflops_per_s": round(2 * macs / med / 1e6, 1)}))


def cmd_render(a):
    torch.set_num_threads(a.threads)
    G, E, cfg, table, tensors, meta = build(a.model)
    size = native_size(cfg)
    seg = seg_from_png(a.labels, cfg, table, size)
    z = None
    if cfg.use_vae:
        if a.style:
            im = np.asarray(Image.open(a.style).convert("RGB"))
            x = torch.from_numpy(im.copy()).permute(2, 0, 1).float().unsqueeze(0) / 127.5 - 1
            with torch.no_grad():
                z, _ = E(x)
        else:
            z = torch.from_numpy(np.random.default_rng(a.seed).standard_normal((1, cfg.z_dim)).astype(np.float32))
    with torch.no_grad():
        out = G(seg, z)
    Image.fromarray(to_u8(out)).save(a.out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make-ade20k")
    m.add_argument("--out", required=True)
    m.add_argument("--seed", type=int, default=0)
    b = sub.add_parser("bench")
    b.add_argument("--model", required=True)
    b.add_argument("--labels", nargs="+", required=True)
    b.add_argument("--threads", type=int, default=2)
    b.add_argument("--runs", type=int, default=7)
    b.add_argument("--warmup", type=int, default=2)
    r = sub.add_parser("render")
    r.add_argument("--model", required=True)
    r.add_argument("--labels", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--style")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    {"make-ade20k": cmd_make_ade20k, "bench": cmd_bench, "render": cmd_render}[a.cmd](a)


if __name__ == "__main__":
    main()
