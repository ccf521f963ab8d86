"""Minimal safetensors reader/writer (the format is a JSON header plus raw tensors)."""

import json
import os
import struct

import numpy as np
import torch

_DT = {"F32": np.float32, "F16": np.float16}


def read(path):
    """Returns (tensors: dict name -> torch.FloatTensor, metadata: dict)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        meta = header.pop("__metadata__", {})
        out = {}
        for name, h in header.items():
            b, e = h["data_offsets"]
            f.seek(base + b)
            a = np.frombuffer(f.read(e - b), dtype=_DT[h["dtype"]]).reshape(h["shape"])
            out[name] = torch.from_numpy(a.astype(np.float32))
    return out, meta


def write(path, tensors, meta, fp16=False):
    header = {"__metadata__": meta}
    blobs, off = [], 0
    for name in sorted(tensors):
        a = tensors[name].detach().cpu().numpy().astype(np.float16 if fp16 else np.float32)
        b = a.tobytes(order="C")
        header[name] = {"dtype": "F16" if fp16 else "F32", "shape": list(a.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * ((8 - len(hj) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
