"""Writes the PyTorch checkpoint fixtures for the Go checkpoint reader and importer.

Run with Debian's python3 (torch 1.13) from the repository root:

    /usr/bin/python3 train/make_pth_fixtures.py

Outputs (committed; CI needs no Python):

synth/internal/pth/testdata/   reader fixtures
    basic.pth, basic_legacy.pth    dtypes, strides, offsets, shared storage, scalars
    basic_p4.pth, basic_p5_legacy.pth  the same with pickle protocols 4 and 5
    basic_expected.json            their values
    wrapped.pth, wrapped_legacy.pth  {'epoch': 3, 'state_dict': {'module.…': …}}
    module.pth, module_legacy.pth  a pickled nn.Module (must be refused)
    global.pth                     a dict holding an argparse.Namespace (must be refused)
    views_legacy.pth               storage views as torch < 1.0 wrote them (hand-written)

synth/testdata/pth/            importer fixtures: tiny SPADE networks configured
    like the reference's presets (ngf 1, nhidden 1), settled by two train-mode
    passes so spectral-norm u/v and batch-norm statistics are not the initial
    ones. To keep them small (the SPADE layers of a 151- or 184-label preset
    hold tens of thousands of weights even at ngf 1), every parameter of a
    network is a strided view of one random vector S: parameter i starts at
    S[3i], and its rows (first dimension) start 7 values apart, so that rows
    longer than 7 overlap (fc.weight[o, c, ky, kx] = S[3i + 7o + 9c + 3ky + kx]).
    The checkpoint stores S once, as one storage that all parameters view
    (torch.save keeps views and strides); every other tensor (spectral-norm
    u/v, batch-norm statistics, ...) is a view of a second storage. No two
    parameters, and no two rows of one, hold the same values, and the
    row stride is prime to the kernel sizes (a transposed or flipped kernel
    reads other values), so a mixed-up tensor still shows; and the Go reader's
    storage offsets and strides are exercised on every tensor.
    ade20k_G.pth                   zip, float16
    coco_vae_G_legacy.pth          legacy format, float16: a VAE generator (fc is
                                   Linear, z_dim 2)
    coco_vae_E_legacy.pth          legacy format, float16: its style encoder in
                                   torch < 1.1's spectral-norm layout (weight_orig,
                                   weight, weight_u, no weight_v; the importer's code
                                   for it is the generator's)
    cityscapes_G.pth               zip, float32 (the official checkpoints' dtype),
                                   with the state_dict's _metadata
    ade20k_sigma.pth, coco_vae_sigma.pth, cityscapes_sigma.pth
                                   torch's spectral-norm sigma of every spectral
                                   conv (netG.<conv>.sigma, netE.<conv>.sigma) after
                                   torch loads the checkpoint back (in float32): its
                                   eval weight is exactly weight_orig / sigma (this
                                   script checks that), so the Go test rebuilds
                                   torch's eval weights from the checkpoint and these
    pix2pixhd_G.pth                another architecture's generator (its key layout)
    truncated_G.pth                ade20k_G.pth cut inside its zip archive
    truncated_E_legacy.pth         coco_vae_E_legacy.pth cut inside its first storage
    ade20k_label.png, ade20k_ref.png  a label map (dataset ids) and the generator's
                                   output on it at crop 64 (64x64), converted like
                                   the reference's tensor2im
    cityscapes_label.png, cityscapes_ref.png  the same at crop 128 (128x64), with the
                                   instance-edge channel derived from the label map
"""

import argparse
import collections
import dataclasses
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spade  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PTH = os.path.join(ROOT, "synth", "internal", "pth", "testdata")
IMP = os.path.join(ROOT, "synth", "testdata", "pth")

# The presets as the reference's options set them, with ngf/nhidden shrunk.
# The Go tests import these with the same overrides (ngf, nhidden, crop, z_dim).
PRESETS = {
    "ade20k": dict(label_nc=150, contain_dontcare_label=True, no_instance=True,
                   norm_G="spectralspadesyncbatch3x3", num_upsampling_layers="normal",
                   crop_size=256, aspect_ratio=1.0, use_vae=False),
    "coco": dict(label_nc=182, contain_dontcare_label=True, no_instance=False,
                 norm_G="spectralspadesyncbatch3x3", num_upsampling_layers="normal",
                 crop_size=256, aspect_ratio=1.0, use_vae=False),
    "cityscapes": dict(label_nc=35, contain_dontcare_label=False, no_instance=False,
                       norm_G="spectralspadesyncbatch3x3", num_upsampling_layers="more",
                       crop_size=512, aspect_ratio=2.0, use_vae=False),
}
TINY = dict(ngf=1, nhidden=1)
STEP = 3  # parameter i of a network starts at S[STEP * i]
ROW = 7  # rows of a parameter start ROW values apart in S (overlapping)
SCALE = 0.15  # S ~ N(0, SCALE²): outputs spread over (-1, 1) without saturating


def save(obj, path, legacy=False, protocol=2):
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy, pickle_protocol=protocol)
    print("%-50s %7d bytes" % (os.path.relpath(path, ROOT), os.path.getsize(path)))


def settle(net, inputs):
    """Two train-mode passes: power iteration moves u/v, batch norm gathers stats."""
    net.train()
    with torch.no_grad():
        for x in inputs:
            net(*x)
    net.eval()


def layout(shape):
    """Strides and span of a parameter in S: contiguous, except that the rows
    (first dimension) of a tensor whose rows are longer than ROW values start
    ROW values apart, so they overlap."""
    strides = list(torch.empty(shape).stride())
    if len(shape) >= 2 and shape[0] > 1 and strides[0] > ROW:
        strides[0] = ROW
    return tuple(strides), 1 + sum((n - 1) * st for n, st in zip(shape, strides))


def share(net, gen, scale, half):
    """Make parameter i of net a view of one random vector S (N(0, scale²),
    rounded to float16 values when half) starting at S[STEP*i], laid out by
    layout(). Returns S and each parameter's (offset, strides) by state_dict name."""
    params = list(net.named_parameters())
    lay = [layout(tuple(p.shape)) for _, p in params]
    s = torch.randn(max(span for _, span in lay) + STEP * len(params), generator=gen) * scale
    if half:
        s = s.half().float()
    views = collections.OrderedDict()
    for i, (name, p) in enumerate(params):
        p.data = s.as_strided(p.shape, lay[i][0], STEP * i)
        views[name] = (STEP * i, lay[i][0])
    return s, views


def round_half(net, skip=()):
    """Round every float of net's state but the parameters named in skip (views
    of S, already rounded) to a float16 value: torch then computes in float32
    with exactly the numbers a float16 checkpoint holds."""
    with torch.no_grad():
        for k, t in net.state_dict().items():
            if t.is_floating_point() and k not in skip:
                t.copy_(t.half().float())


def packed(sd, dtype, s=None, views=(), metadata=False):
    """sd for saving: the tensors named in views as views of s (stored once,
    at their (offset, strides)), every other tensor a view of one storage per
    dtype; floats as dtype."""
    at = {}
    if s is not None:
        base = s.to(dtype)
        for k, (off, strides) in views.items():
            v = base.as_strided(sd[k].shape, strides, off)
            assert torch.equal(v, sd[k].to(dtype)), k
            at[k] = v
    groups = collections.OrderedDict()
    for k, v in sd.items():
        if k not in at:
            groups.setdefault(dtype if v.is_floating_point() else v.dtype, []).append(k)
    for kind, names in groups.items():
        flat = torch.cat([sd[k].reshape(-1).to(kind) for k in names])
        off = 0
        for k in names:
            at[k] = flat.as_strided(sd[k].shape, torch.empty(sd[k].shape).stride(), off)
            off += sd[k].numel()
    out = collections.OrderedDict((k, at[k]) for k in sd)
    if metadata:
        out._metadata = sd._metadata
    return out


def load_back(path, net):
    """net (a fresh module) loaded from the checkpoint at path, its floats
    converted to float32 first (torch's spectral-norm load hook for the
    pre-1.1 layout solves a linear system, which float16 does not support)."""
    sd = torch.load(path)
    f32 = collections.OrderedDict((k, v.float() if v.is_floating_point() else v) for k, v in sd.items())
    if hasattr(sd, "_metadata"):
        f32._metadata = sd._metadata
    net.load_state_dict(f32)
    net.eval()
    return net


def sigmas(net, run, prefix):
    """torch's sigma of every spectral-norm module of net (eval mode), checking
    that its eval weight is exactly weight_orig / sigma."""
    net.eval()
    out = collections.OrderedDict()
    with torch.no_grad():
        run()  # the eval pre-hooks set module.weight
        for name, m in net.named_modules():
            if hasattr(m, "weight_orig"):
                w = m.weight_orig
                sigma = torch.dot(m.weight_u, torch.mv(w.reshape(w.shape[0], -1), m.weight_v))
                assert torch.equal(m.weight, w / sigma), name
                out[prefix + name + ".sigma"] = sigma.clone()
    return out


def random_seg(cfg, n, h, w, gen):
    ch = torch.randint(0, cfg.label_nc + (1 if cfg.contain_dontcare_label else 0), (n, h, w), generator=gen)
    nc_label = cfg.label_nc + (1 if cfg.contain_dontcare_label else 0)
    seg = torch.zeros(n, cfg.semantic_nc, h, w)
    seg[:, :nc_label].scatter_(1, ch.unsqueeze(1), 1.0)
    if not cfg.no_instance:
        seg[:, -1] = (torch.rand(n, h, w, generator=gen) < 0.2).float()
    return seg


def make_generator(preset, seed, half, scale, **over):
    """A tiny settled generator whose parameters are windows of one vector."""
    kw = dict(PRESETS[preset])
    kw.update(TINY)
    kw.update(over)
    cfg = spade.Config(**kw)
    torch.manual_seed(seed)
    g = spade.SPADEGenerator(cfg)
    gen = torch.Generator().manual_seed(seed)
    s, views = share(g, gen, scale, half)
    sw, sh = cfg.latent_size()
    ins = []
    for _ in range(2):
        seg = random_seg(cfg, 2, sh * 4, sw * 4, gen)
        z = torch.randn(2, cfg.z_dim, generator=gen) if cfg.use_vae else None
        ins.append((seg, z))
    settle(g, ins)
    if half:
        round_half(g, views)
    return cfg, g, s, views, ins[0]


def importer_fixtures():
    os.makedirs(IMP, exist_ok=True)
    for old in ("ade20k_G_legacy.pth", "ade20k_expected.pth", "ade20k_vae_E.pth", "ade20k_vae_G.pth",
                "ade20k_vae_expected.pth", "cityscapes_G_v0_legacy.pth", "cityscapes_expected.pth",
                "coco_G_legacy.pth", "coco_expected.pth", "truncated_G_legacy.pth"):
        if os.path.exists(os.path.join(IMP, old)):
            os.remove(os.path.join(IMP, old))

    def first(g, x):
        return lambda: g(x[0][:1], None if x[1] is None else x[1][:1])

    # ade20k: zip, float16.
    cfg, g, s, off, x = make_generator("ade20k", 100, True, SCALE)
    path = os.path.join(IMP, "ade20k_G.pth")
    save(packed(g.state_dict(), torch.float16, s, off), path)
    g = load_back(path, spade.SPADEGenerator(cfg))
    save(packed(sigmas(g, first(g, x), "netG."), torch.float32), os.path.join(IMP, "ade20k_sigma.pth"))
    parity_ade20k(cfg, g)
    truncated_zip(path)

    # cityscapes: zip, float32, with the state_dict's _metadata (spectral-norm versions).
    cfg, g, s, off, x = make_generator("cityscapes", 102, False, SCALE)
    path = os.path.join(IMP, "cityscapes_G.pth")
    save(packed(g.state_dict(), torch.float32, s, off, metadata=True), path)
    g = load_back(path, spade.SPADEGenerator(cfg))
    save(packed(sigmas(g, first(g, x), "netG."), torch.float32), os.path.join(IMP, "cityscapes_sigma.pth"))
    parity_cityscapes(cfg, g)

    # coco: a VAE generator (fc is Linear; z_dim 2 keeps it small) and its style
    # encoder, legacy format, float16; the encoder in torch < 1.1's layout.
    cfg, g, s, off, x = make_generator("coco", 200, True, SCALE, use_vae=True, z_dim=2)
    torch.manual_seed(201)
    e = spade.ConvEncoder(cfg)
    gen = torch.Generator().manual_seed(202)
    se, offe = share(e, gen, SCALE, True)
    photos = [(torch.rand(2, 3, 64, 64, generator=gen) * 2 - 1,) for _ in range(2)]
    settle(e, photos)
    round_half(e, offe)
    with torch.no_grad():
        e(photos[0][0][:1])  # sets each spectral-norm module's eval weight
    old = collections.OrderedDict()
    for k, v in e.state_dict().items():
        if k.endswith(".weight_v"):
            continue
        old[k] = v
        if k.endswith(".weight_orig"):
            old[k[:-len("_orig")]] = e.get_submodule(k[:-len(".weight_orig")]).weight.detach().clone()
    pg = os.path.join(IMP, "coco_vae_G_legacy.pth")
    pe = os.path.join(IMP, "coco_vae_E_legacy.pth")
    save(packed(g.state_dict(), torch.float16, s, off), pg, legacy=True)
    save(packed(old, torch.float16, se, offe), pe, legacy=True)
    g = load_back(pg, spade.SPADEGenerator(cfg))
    e = load_back(pe, spade.ConvEncoder(cfg))
    sig = sigmas(g, first(g, x), "netG.")
    sig.update(sigmas(e, lambda: e(photos[0][0][:1]), "netE."))
    save(packed(sig, torch.float32), os.path.join(IMP, "coco_vae_sigma.pth"))
    truncated_legacy(pe)

    pix2pixhd()


def truncated_zip(src):
    """The zip checkpoint cut in the middle: no central directory."""
    with open(src, "rb") as f:
        data = f.read()
    path = os.path.join(IMP, "truncated_G.pth")
    with open(path, "wb") as f:
        f.write(data[:4096])
    print("%-50s %7d bytes" % (os.path.relpath(path, ROOT), os.path.getsize(path)))


def truncated_legacy(src):
    """A legacy checkpoint cut a little after its pickles, so they are whole
    and the first storage is not."""
    with open(src, "rb") as f:
        data = f.read()
    path = os.path.join(IMP, "truncated_E_legacy.pth")
    with open(path, "wb") as f:
        f.write(data[: legacy_pickles_end(data) + 100])
    print("%-50s %7d bytes" % (os.path.relpath(path, ROOT), os.path.getsize(path)))


def legacy_pickles_end(data):
    """Byte offset where a legacy checkpoint's five pickles end."""
    import io
    import pickletools
    f = io.BytesIO(data)
    for _ in range(5):
        for _op in pickletools.genops(f):
            pass
    return f.tell()


def tensor2im(t):
    """The reference's conversion: (x + 1) / 2 * 255, clipped, truncated to uint8."""
    x = (np.transpose(t.detach().cpu().float().numpy(), (1, 2, 0)) + 1) / 2.0 * 255.0
    return np.clip(x, 0, 255).astype(np.uint8)


def render_at_crop(cfg, g, seg, crop, name, ids):
    """g's output on seg with the generator built for crop (the Go test imports
    with the same --crop override), saved with its label map as
    <name>_label.png and <name>_ref.png."""
    small = spade.Config(**{**dataclasses.asdict(cfg), "crop_size": crop})
    sw, sh = g.sw, g.sh
    g.sw, g.sh = small.latent_size()
    g.eval()
    with torch.no_grad():
        out = g(seg)
    g.sw, g.sh = sw, sh
    assert out.shape == (1, 3) + ids.shape, out.shape
    Image.fromarray(ids, "L").save(os.path.join(IMP, name + "_label.png"))
    img = tensor2im(out[0])
    Image.fromarray(img).save(os.path.join(IMP, name + "_ref.png"))
    for n in (name + "_label.png", name + "_ref.png"):
        p = os.path.join(IMP, n)
        print("%-50s %7d bytes" % (os.path.relpath(p, ROOT), os.path.getsize(p)))
    print("    %d colours" % len(np.unique(img.reshape(-1, 3), axis=0)))


def parity_ade20k(cfg, g):
    """A label map in ADE20K ids and the tiny ade20k generator's output on it, at
    crop 64 (64x64) to keep the reference image small."""
    h = w = 64
    yy, xx = np.mgrid[0:h, 0:w]
    ids = np.zeros((h, w), np.uint8)  # 0: unlabeled (don't-care)
    ids[yy < 25] = 3  # sky
    ids[(yy >= 25) & (yy < 45)] = 17  # mountain
    ids[yy >= 45] = 22  # water
    ids[(xx - 42) ** 2 + (yy - 37) ** 2 < 10 ** 2] = 5  # tree
    ids[(xx < 15) & (yy > 50)] = 0
    ids[(xx // 8 + yy // 8) % 7 == 0] = 150
    ids[20, 30] = 5  # a lone pixel
    ch = torch.from_numpy(ids.astype(np.int64)) - 1
    ch[ch == -1] = cfg.label_nc
    render_at_crop(cfg, g, spade.one_hot(ch.unsqueeze(0), cfg), 64, "ade20k", ids)


def label_edges(ids):
    """1 where a pixel's 4-neighbour differs, as the reference's get_edges marks
    both sides of every boundary of the instance map (here: the label map)."""
    e = np.zeros(ids.shape, bool)
    dx = ids[:, 1:] != ids[:, :-1]
    dy = ids[1:, :] != ids[:-1, :]
    e[:, 1:] |= dx
    e[:, :-1] |= dx
    e[1:, :] |= dy
    e[:-1, :] |= dy
    return e


def parity_cityscapes(cfg, g):
    """Cityscapes labelIds at crop 128 (128x64: aspect 2, 'more' upsampling) with
    the instance-edge channel derived from the label map."""
    h, w = 64, 128
    yy, xx = np.mgrid[0:h, 0:w]
    ids = np.full((h, w), 23, np.uint8)  # sky
    ids[yy >= 20] = 11  # building
    ids[(yy >= 20) & (xx > 90)] = 21  # vegetation
    ids[yy >= 40] = 7  # road
    ids[(yy >= 40) & (yy < 46)] = 8  # sidewalk
    ids[(yy >= 44) & (yy < 56) & (xx >= 20) & (xx < 50)] = 26  # car
    ids[(yy >= 30) & (yy < 50) & (xx >= 70) & (xx < 76)] = 24  # person
    ids[(yy >= 58)] = 1  # ego vehicle
    ids[(yy >= 60) & (xx < 10)] = 0
    seg = torch.zeros(1, cfg.semantic_nc, h, w)
    seg[0, :cfg.label_nc].scatter_(0, torch.from_numpy(ids.astype(np.int64)).unsqueeze(0), 1.0)
    seg[0, -1] = torch.from_numpy(label_edges(ids).astype(np.float32))
    render_at_crop(cfg, g, seg, 128, "cityscapes", ids)


class Pix2PixHDLike(nn.Module):
    """The key layout of pix2pixHD's global generator (model.1.weight, ...). Only
    the names matter to the importer's test, so the layers are narrow."""

    def __init__(self, nc=8, ngf=2):
        super().__init__()
        self.model = nn.Sequential(
            nn.ReflectionPad2d(3), nn.Conv2d(nc, ngf, 7), nn.InstanceNorm2d(ngf), nn.ReLU(),
            nn.Conv2d(ngf, ngf * 2, 3, stride=2, padding=1), nn.InstanceNorm2d(ngf * 2), nn.ReLU(),
            nn.ConvTranspose2d(ngf * 2, ngf, 3, stride=2, padding=1, output_padding=1),
            nn.InstanceNorm2d(ngf), nn.ReLU(), nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh())


def pix2pixhd():
    torch.manual_seed(7)
    save(packed(Pix2PixHDLike(nc=3, ngf=1).state_dict(), torch.float32), os.path.join(IMP, "pix2pixhd_G.pth"))


def reader_fixtures():
    os.makedirs(PTH, exist_ok=True)
    torch.manual_seed(1)
    base = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 8 - 1
    shared = torch.linspace(-2, 2, 10)
    sd = collections.OrderedDict()
    sd["f32"] = base.clone()
    sd["f16"] = (base * 3).half()
    sd["bf16"] = (base * 5).bfloat16()
    sd["f64"] = base.double() / 3
    sd["i64"] = torch.tensor([1, -2, 3 << 40], dtype=torch.int64)
    sd["scalar"] = torch.tensor(7, dtype=torch.int64)  # like num_batches_tracked
    sd["fscalar"] = torch.tensor(0.25)
    sd["transposed"] = base[0].t()  # non-contiguous view, storage shared with nothing saved
    sd["permuted"] = base.permute(2, 0, 1)
    sd["shared_a"] = shared[2:7]  # offset 2 into a storage...
    sd["shared_b"] = shared[::3]  # ...shared with a strided view
    sd["shared_c"] = shared.view(2, 5)[:, 1:]  # and a 2-d slice of it
    sd["param"] = nn.Parameter(torch.tensor([[1.5, -2.5]]))
    sd["empty"] = torch.zeros(0, 3)
    sd["u8"] = torch.tensor([0, 200, 255], dtype=torch.uint8)
    sd["flag"] = torch.tensor([True, False])
    sd["expanded"] = torch.tensor([1.0, 2.0]).unsqueeze(1).expand(2, 3)  # stride 0
    save(sd, os.path.join(PTH, "basic.pth"))
    save(sd, os.path.join(PTH, "basic_legacy.pth"), legacy=True)
    # Protocols 4 and 5: FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE.
    save(sd, os.path.join(PTH, "basic_p4.pth"), protocol=4)
    save(sd, os.path.join(PTH, "basic_p5_legacy.pth"), legacy=True, protocol=5)
    exp = collections.OrderedDict()
    for k, v in sd.items():
        exp[k] = {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", ""),
                  "values": v.detach().double().flatten().tolist() if v.dtype.is_floating_point
                  else v.long().flatten().tolist()}
    with open(os.path.join(PTH, "basic_expected.json"), "w") as f:
        json.dump(exp, f, indent=1)

    wrapped = {"epoch": 3, "state_dict": collections.OrderedDict(
        [("module.conv.weight", torch.ones(2, 1, 1, 1)), ("module.conv.bias", torch.tensor([0.5, -0.5]))]),
        "optimizer": {"state": {}, "param_groups": [{"lr": 0.1}]}}
    save(wrapped, os.path.join(PTH, "wrapped.pth"))
    save(wrapped, os.path.join(PTH, "wrapped_legacy.pth"), legacy=True)

    lin = nn.Linear(2, 2)
    save(lin, os.path.join(PTH, "module.pth"))
    save(lin, os.path.join(PTH, "module_legacy.pth"), legacy=True)
    save({"w": torch.ones(1), "opt": argparse.Namespace(ngf=64)}, os.path.join(PTH, "global.pth"))
    legacy_views(os.path.join(PTH, "views_legacy.pth"))


class _Storage:
    """Stands for a storage in a hand-written pickle (see legacy_views)."""

    def __init__(self, pid):
        self.pid = pid


class _Tensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


def legacy_views(path):
    """A legacy file as torch < 1.0 wrote it when tensors shared a storage
    through views: persistent ids ('storage', type, root_key, location, numel,
    (view_key, offset, view_numel)). torch 1.13 no longer writes views, so the
    file is written by hand and checked with torch.load."""
    import pickle
    import struct
    root = ("storage", torch.FloatStorage, "r1", "cpu", 10)
    view = _Storage(root + (("v1", 2, 5),))
    whole = _Storage(root + (None,))
    half = _Storage(("storage", torch.HalfStorage, "r2", "cpu", 4, None))
    obj = collections.OrderedDict([
        ("view", _Tensor(view, 1, (2, 2), (2, 1))),
        ("view_again", _Tensor(view, 0, (5,), (1,))),
        ("whole", _Tensor(whole, 0, (10,), (1,))),
        ("half", _Tensor(half, 1, (3,), (1,))),
    ])

    class P(pickle.Pickler):
        def persistent_id(self, o):
            return o.pid if isinstance(o, _Storage) else None

    with open(path, "wb") as f:
        for v in (0x1950a86a20f9469cfc6c, 1001,
                  {"protocol_version": 1001, "little_endian": True,
                   "type_sizes": {"short": 2, "int": 4, "long": 4}}):
            pickle.dump(v, f, protocol=2)
        P(f, protocol=2).dump(obj)
        pickle.dump(["r1", "r2"], f, protocol=2)
        f.write(struct.pack("<q", 10) + np.arange(10, dtype="<f4").tobytes())
        f.write(struct.pack("<q", 4) + np.array([0.5, -1, 2, 65504], dtype="<f2").tobytes())
    got = torch.load(path)
    assert got["view"].tolist() == [[3, 4], [5, 6]], got["view"]
    assert got["view_again"].tolist() == [2, 3, 4, 5, 6]
    assert got["whole"].tolist() == list(range(10))
    assert got["half"].tolist() == [-1, 2, 65504]
    print("%-50s %7d bytes" % (os.path.relpath(path, ROOT), os.path.getsize(path)))


if __name__ == "__main__":
    reader_fixtures()
    importer_fixtures()
