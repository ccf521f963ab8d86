"""Compact training checkpoints.

A checkpoint is committed to the repository so that the next working session can
resume it, and a submission's size is counted as the text of its diffs: replacing
the file costs its old size plus its new size. A plain torch.save of the run (G, E,
D, Adam's second moments, the averaged G and E) is 143 MB; this format stores it
in about 100 MB:

- every float32 tensor that training reads back (weights, Adam's moments) is split
  into its four byte planes before zlib, since the sign/exponent plane of trained
  weights compresses well and the low mantissa bytes do not. Bit-exact.
- each averaged weight (G_ema, E_ema) is stored as its difference from the live
  weight of the same name, in float16. The average is only read by validation and
  export (which ships float16 anyway) and by its own update, so its rounding error,
  at most 2^-11 of that difference, never reaches the live weights. Measured in
  `python3 train/ckpt_io.py --check FILE`, which round-trips a real checkpoint.
- each optimizer moment (Adam's exp_avg_sq, AdamW's exp_avg and exp_avg_sq) keeps
  its three high bytes (version 2): the lowest mantissa byte does not compress, and
  a moment only scales a step, so cutting it (relative error under 2^-15, a step's
  size off by under 2^-16) saves 14 MB at no measurable cost. Every weight still
  resumes bit for bit.

Plain torch.save checkpoints (before this format) still load.
"""
import argparse
import io
import os
import sys
import time
import zlib

import numpy as np
import torch

FORMAT = "spadework-checkpoint"
VERSION = 2
READS = (1, 2)
# Optimizer moments, stored without their lowest mantissa byte.
MOMENTS = ("exp_avg", "exp_avg_sq")
# Averaged trees, each stored as a float16 difference from the live tree named.
AVERAGED = {"G_ema": "G", "E_ema": "E"}


def _planes(t):
    a = t.detach().contiguous().reshape(-1).numpy().view(np.uint8).reshape(-1, 4)
    return a


def _is_moment(path):
    return len(path) >= 2 and str(path[0]).startswith("opt_") and path[-1] in MOMENTS


def _pack(t, live=None, moment=False):
    if moment:
        a = _planes(t)[:, 1:]
        kind = "planes3"
    elif live is None:
        a = _planes(t)
        kind = "planes"
    else:
        a = (t - live).half().contiguous().reshape(-1).numpy().view(np.uint8).reshape(-1, 2)
        kind = "delta16"
    # A uint8 tensor, not bytes: torch.save's pickle protocol 2 writes bytes as
    # latin-1 text, which grows them by half.
    data = torch.frombuffer(bytearray(zlib.compress(np.ascontiguousarray(a.T).tobytes(), 6)), dtype=torch.uint8)
    return {"__packed__": VERSION, "kind": kind, "shape": list(t.shape), "data": data}


def _unpack(p, live=None, where="?"):
    n = int(np.prod(p["shape"], dtype=np.int64))
    width = {"planes": 4, "planes3": 3, "delta16": 2}.get(p.get("kind"))
    if width is None:
        raise ValueError("%s: unknown tensor encoding %r" % (where, p.get("kind")))
    raw = zlib.decompress(p["data"].numpy().tobytes())
    if len(raw) != width * n:
        raise ValueError("%s: %d bytes for shape %s, want %d" % (where, len(raw), p["shape"], width * n))
    a = np.ascontiguousarray(np.frombuffer(raw, dtype=np.uint8).reshape(width, n).T).reshape(-1)
    if width == 4:
        return torch.from_numpy(a.view(np.float32).copy()).reshape(p["shape"])
    if width == 3:
        full = np.zeros((n, 4), dtype=np.uint8)
        full[:, 1:] = a.reshape(n, 3)
        return torch.from_numpy(full.reshape(-1).view(np.float32).copy()).reshape(p["shape"])
    if live is None or list(live.shape) != p["shape"]:
        raise ValueError("%s: stored against a live weight the checkpoint lacks" % where)
    return live + torch.from_numpy(a.view(np.float16).copy()).float().reshape(p["shape"])


def _map(o, f, path=()):
    """o with f(leaf, path) applied to each leaf; a packed tensor is a leaf."""
    if isinstance(o, dict) and "__packed__" not in o:
        return {k: _map(v, f, path + (k,)) for k, v in o.items()}
    if isinstance(o, list):
        return [_map(v, f, path + (i,)) for i, v in enumerate(o)]
    return f(o, path)


def _live(ck, path):
    """The live tensor an averaged one at path is stored against, or None."""
    if len(path) != 2 or path[0] not in AVERAGED:
        return None
    live = ck.get(AVERAGED[path[0]], {}).get(path[1])
    return live if isinstance(live, torch.Tensor) and live.dtype == torch.float32 else None


def save(ck, path):
    """Write ck (a dict as train.py builds it) to path, atomically."""
    def pack(o, p):
        if isinstance(o, torch.Tensor) and o.dtype == torch.float32:
            live = _live(ck, p)
            if live is not None and live.shape != o.shape:
                live = None
            return _pack(o, live, _is_moment(p))
        return o
    out = {"format": FORMAT, "version": VERSION, "tree": _map(ck, pack)}
    tmp = path + ".tmp"
    torch.save(out, tmp)
    os.replace(tmp, path)


def load(path):
    """Read a checkpoint written by save, or a plain torch.save one."""
    ck = torch.load(path)
    if not (isinstance(ck, dict) and ck.get("format") == FORMAT):
        return ck
    if ck.get("version") not in READS:
        raise ValueError("%s: checkpoint format version %s, this code reads %s" % (path, ck.get("version"), READS))
    tree = ck["tree"]

    def is_packed(o):
        return isinstance(o, dict) and "__packed__" in o

    def plain(o, p):
        return _unpack(o, None, "%s: %s" % (path, "/".join(map(str, p)))) if is_packed(o) and o["kind"] != "delta16" else o
    # Live weights first: the averaged ones are stored against them.
    tree = _map(tree, plain)

    def averaged(o, p):
        return _unpack(o, _live(tree, p), "%s: %s" % (path, "/".join(map(str, p)))) if is_packed(o) else o
    return _map(tree, averaged)


def _same(a, b, path="", worst=None):
    """Exit unless b equals a bit for bit, except averaged weights, whose largest
    error relative to their difference from the live weight goes into worst, and
    optimizer moments, whose largest relative error does."""
    if isinstance(a, torch.Tensor):
        if not (isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape):
            sys.exit("differs at %s" % path)
        if path.split("/")[1] in AVERAGED and a.dtype == torch.float32 and worst is not None:
            err = float((a - b).abs().max())
            worst["abs"] = max(worst["abs"], err)
            worst["rms"] = max(worst["rms"], err / max(float(a.pow(2).mean().sqrt()), 1e-12))
        elif path.split("/")[1].startswith("opt_") and path.split("/")[-1] in MOMENTS and worst is not None:
            # Relative to the value where it is normal; a subnormal keeps its
            # absolute error under 2^-141, which is all a cut byte can cost it.
            normal = a.abs() >= torch.finfo(torch.float32).tiny
            diff = (a - b).abs()
            rel = float((diff[normal] / a.abs()[normal]).max()) if normal.any() else 0.0
            if rel >= 2.0 ** -15 or (diff[~normal] >= 2.0 ** -141).any():
                sys.exit("moment off by %.3g at %s" % (rel, path))
            worst["moment"] = max(worst.get("moment", 0.0), rel)
        elif not torch.equal(a, b):
            sys.exit("differs at %s" % path)
        return
    if isinstance(a, dict):
        if set(a) != set(b):
            sys.exit("keys differ at %s" % path)
        for k in a:
            _same(a[k], b[k], "%s/%s" % (path, k), worst)
        return
    if isinstance(a, list):
        if len(a) != len(b):
            sys.exit("lengths differ at %s" % path)
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, "%s/%d" % (path, i), worst)
        return
    if a != b and not (a != a and b != b):  # NaN-tolerant for logged losses
        sys.exit("value differs at %s" % path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", metavar="FILE", help="round-trip a checkpoint and compare bit for bit")
    ap.add_argument("--convert", nargs=2, metavar=("IN", "OUT"), help="rewrite a checkpoint in this format")
    a = ap.parse_args()
    if a.check:
        ck = load(a.check)
        buf = io.BytesIO()
        torch.save(ck, buf)
        t0 = time.time()
        save(ck, "/tmp/ckpt_io_check.pt")
        t1 = time.time()
        back = load("/tmp/ckpt_io_check.pt")
        t2 = time.time()
        worst = {"abs": 0.0, "rms": 0.0}
        _same(ck, back, "", worst)
        print("round trip: bit-identical but for the averaged weights, whose largest error is %.3g "
              "(%.3g of that tensor's RMS), and the optimizer moments, whose largest relative error is %.3g; "
              "plain torch.save %.1f MB, this format %.1f MB "
              "(save %.1f s, load %.1f s)" % (worst["abs"], worst["rms"], worst.get("moment", 0.0), len(buf.getvalue()) / 1e6,
                                              os.path.getsize("/tmp/ckpt_io_check.pt") / 1e6, t1 - t0, t2 - t1))
        os.remove("/tmp/ckpt_io_check.pt")
    elif a.convert:
        save(load(a.convert[0]), a.convert[1])
        print("%s: %.1f MB" % (a.convert[1], os.path.getsize(a.convert[1]) / 1e6))
    else:
        ap.print_help()


if __name__ == "__main__":
    main()
