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

synth/testdata/pth/            importer fixtures: tiny SPADE generators configured
    like the reference's presets (ngf and nhidden shrunk), trained for two steps in
    train mode so spectral-norm u/v and batch-norm statistics are not the initial ones
    ade20k_G.pth, ade20k_G_legacy.pth, coco_G_legacy.pth (float16, values rounded
    before training stopped), cityscapes_G.pth (float32): the state_dicts
    <preset>_expected.pth          torch's eval-mode .weight of every spectral-norm conv
    cityscapes_G_v0_legacy.pth     pre-1.1 spectral norm layout: weight_orig, weight,
                                   weight_u and no weight_v
    ade20k_vae_G.pth, ade20k_vae_E.pth, ade20k_vae_expected.pth   with an encoder
    pix2pixhd_G.pth                another architecture's generator (its key layout)
    truncated_G_legacy.pth, truncated_G.pth   cut short
    ade20k_label.png, ade20k_ref.png  a label map (dataset ids) and the generator's
                                   output on it at crop 128 (128x128), converted like
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


def eval_weights(net, run):
    """torch's eval-mode weight of every spectral-norm module, by state_dict name."""
    net.eval()
    with torch.no_grad():
        run()
    out = collections.OrderedDict()
    for name, m in net.named_modules():
        if hasattr(m, "weight_orig"):
            out[name + ".weight"] = m.weight.detach().clone()
    return out


def random_seg(cfg, n, h, w, gen):
    ch = torch.randint(0, cfg.label_nc + (1 if cfg.contain_dontcare_label else 0), (n, h, w), generator=gen)
    nc_label = cfg.label_nc + (1 if cfg.contain_dontcare_label else 0)
    seg = torch.zeros(n, cfg.semantic_nc, h, w)
    seg[:, :nc_label].scatter_(1, ch.unsqueeze(1), 1.0)
    if not cfg.no_instance:
        seg[:, -1] = (torch.rand(n, h, w, generator=gen) < 0.2).float()
    return seg


def make_generator(preset, seed, fp16=False, boost=1.0, **over):
    """A tiny settled generator. fp16 rounds every float to half precision (the
    checkpoint is then saved as float16 to stay small; torch computes the
    expected values from the same rounded numbers in float32)."""
    kw = dict(PRESETS[preset])
    kw.update(TINY)
    kw.update(over)
    cfg = spade.Config(**kw)
    torch.manual_seed(seed)
    g = spade.SPADEGenerator(cfg)
    gen = torch.Generator().manual_seed(seed)
    sw, sh = cfg.latent_size()
    h, w = sh * 4, sw * 4
    ins = []
    for _ in range(2):
        seg = random_seg(cfg, 2, h, w, gen)
        z = torch.randn(2, cfg.z_dim, generator=gen) if cfg.use_vae else None
        ins.append((seg, z))
    settle(g, ins)
    with torch.no_grad():
        # A tiny untrained generator's output sits near grey; a larger last
        # layer spreads it over the 8-bit range so a parity test means something.
        g.conv_img.weight.mul_(boost)
    if fp16:
        with torch.no_grad():
            for t in g.state_dict().values():
                if t.is_floating_point():
                    t.copy_(t.half().float())
    return cfg, g, (lambda: g(ins[0][0][:1], None if ins[0][1] is None else ins[0][1][:1]))


def importer_fixtures():
    os.makedirs(IMP, exist_ok=True)
    # ade20k and coco are stored as float16 (semantic_nc 151/184 makes them big);
    # cityscapes as float32, the dtype of the official checkpoints.
    formats = {"ade20k": ("zip", "legacy"), "coco": ("legacy",), "cityscapes": ("zip",)}
    for i, preset in enumerate(PRESETS):
        half = preset != "cityscapes"
        cfg, g, run = make_generator(preset, 100 + i, fp16=half, boost=1.0 if preset == "coco" else 6.0)
        sd = g.state_dict()
        out = sd
        if half:
            out = collections.OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in sd.items())
        for fmt in formats[preset]:
            save(out, os.path.join(IMP, "%s_G%s.pth" % (preset, "_legacy" if fmt == "legacy" else "")),
                 legacy=fmt == "legacy")
        exp = eval_weights(g, run)
        save(exp, os.path.join(IMP, "%s_expected.pth" % preset))
        if preset == "cityscapes":
            parity_cityscapes(cfg, g)
            v0_fixture(cfg, sd, exp)
            truncated(os.path.join(IMP, "cityscapes_G_v0_legacy.pth"), os.path.join(IMP, "cityscapes_G.pth"))
        if preset == "ade20k":
            parity(cfg, g)

    # With an encoder: VAE generator (fc is Linear) and ConvEncoder; z_dim 8 keeps
    # fc small. Stored as float16 like ade20k above.
    cfg, g, run = make_generator("ade20k", 200, fp16=True, use_vae=True, z_dim=8)
    torch.manual_seed(201)
    e = spade.ConvEncoder(cfg)
    gen = torch.Generator().manual_seed(202)
    photos = [(torch.rand(2, 3, 64, 64, generator=gen) * 2 - 1,) for _ in range(2)]
    settle(e, photos)
    with torch.no_grad():
        for t in e.state_dict().values():
            t.copy_(t.half().float())
    halve = lambda sd: collections.OrderedDict(
        (k, v.half() if v.is_floating_point() else v) for k, v in sd.items())
    save(halve(g.state_dict()), os.path.join(IMP, "ade20k_vae_G.pth"))
    save(halve(e.state_dict()), os.path.join(IMP, "ade20k_vae_E.pth"))
    exp = collections.OrderedDict()
    for k, v in eval_weights(g, run).items():
        exp["netG." + k] = v
    for k, v in eval_weights(e, lambda: e(photos[0][0][:1])).items():
        exp["netE." + k] = v
    save(exp, os.path.join(IMP, "ade20k_vae_expected.pth"))

    pix2pixhd()


def v0_fixture(cfg, sd, exp):
    """The layout torch < 1.1 saved: weight (the normalized W) instead of weight_v."""
    old = collections.OrderedDict()
    for k, v in sd.items():
        if k.endswith(".weight_v"):
            continue
        old[k] = v
        if k.endswith(".weight_orig"):
            old[k[:-len("_orig")]] = exp[k[:-len("_orig")]].clone()
    # Check that torch itself reads it back to the same eval weights.
    g2 = spade.SPADEGenerator(cfg)
    meta = getattr(sd, "_metadata")
    old._metadata = collections.OrderedDict(
        (k, {kk: vv for kk, vv in v.items() if kk != "spectral_norm"}) for k, v in meta.items())
    g2.load_state_dict(old)
    g2.eval()
    with torch.no_grad():
        g2(torch.zeros(1, cfg.semantic_nc, 8, 8))
    for name, m in g2.named_modules():
        if hasattr(m, "weight_orig"):
            assert torch.allclose(m.weight, exp[name + ".weight"], rtol=1e-5, atol=1e-7), name
    del old._metadata
    save(old, os.path.join(IMP, "cityscapes_G_v0_legacy.pth"), legacy=True)


def truncated(legacy_src, zip_src):
    """Cut the legacy file a little after its storage list (so the pickles are
    whole and the storages are not) and the zip file in the middle."""
    with open(legacy_src, "rb") as f:
        data = f.read()
    path = os.path.join(IMP, "truncated_G_legacy.pth")
    with open(path, "wb") as f:
        f.write(data[: legacy_pickles_end(data) + 1000])
    print("%-50s %7d bytes" % (os.path.relpath(path, ROOT), os.path.getsize(path)))
    with open(zip_src, "rb") as f:
        data = f.read()
    path = os.path.join(IMP, "truncated_G.pth")
    with open(path, "wb") as f:
        f.write(data[:20000])
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


def parity(cfg, g):
    """A label map in ADE20K ids and the tiny ade20k generator's output on it, at
    crop 128 (128x128; the Go test imports with the same --crop override) to keep
    the reference image small."""
    h = w = 128
    yy, xx = np.mgrid[0:h, 0:w]
    ids = np.zeros((h, w), np.uint8)  # 0: unlabeled (don't-care)
    ids[yy < 50] = 3  # sky
    ids[(yy >= 50) & (yy < 90)] = 17  # mountain
    ids[yy >= 90] = 22  # water
    ids[(xx - 85) ** 2 + (yy - 75) ** 2 < 20 ** 2] = 5  # tree
    ids[(xx < 30) & (yy > 100)] = 0
    ids[(xx // 16 + yy // 16) % 7 == 0] = 150
    Image.fromarray(ids, "L").save(os.path.join(IMP, "ade20k_label.png"))
    ch = torch.from_numpy(ids.astype(np.int64)) - 1
    ch[ch == -1] = cfg.label_nc
    seg = spade.one_hot(ch.unsqueeze(0), cfg)
    small = spade.Config(**{**dataclasses.asdict(cfg), "crop_size": 128})
    sw, sh = g.sw, g.sh
    g.sw, g.sh = small.latent_size()
    g.eval()
    with torch.no_grad():
        out = g(seg)
    g.sw, g.sh = sw, sh
    assert out.shape == (1, 3, h, w), out.shape
    Image.fromarray(tensor2im(out[0])).save(os.path.join(IMP, "ade20k_ref.png"))
    for n in ("ade20k_label.png", "ade20k_ref.png"):
        p = os.path.join(IMP, n)
        print("%-50s %7d bytes" % (os.path.relpath(p, ROOT), os.path.getsize(p)))


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
    Image.fromarray(ids, "L").save(os.path.join(IMP, "cityscapes_label.png"))
    seg = torch.zeros(1, cfg.semantic_nc, h, w)
    seg[0, :cfg.label_nc].scatter_(0, torch.from_numpy(ids.astype(np.int64)).unsqueeze(0), 1.0)
    seg[0, -1] = torch.from_numpy(label_edges(ids).astype(np.float32))
    small = spade.Config(**{**dataclasses.asdict(cfg), "crop_size": 128})
    sw, sh = g.sw, g.sh
    g.sw, g.sh = small.latent_size()
    g.eval()
    with torch.no_grad():
        out = g(seg)
    g.sw, g.sh = sw, sh
    assert out.shape == (1, 3, h, w), out.shape
    Image.fromarray(tensor2im(out[0])).save(os.path.join(IMP, "cityscapes_ref.png"))
    for n in ("cityscapes_label.png", "cityscapes_ref.png"):
        p = os.path.join(IMP, n)
        print("%-50s %7d bytes" % (os.path.relpath(p, ROOT), os.path.getsize(p)))


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
    save(Pix2PixHDLike().state_dict(), os.path.join(IMP, "pix2pixhd_G.pth"))


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
