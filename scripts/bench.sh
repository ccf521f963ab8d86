#!/usr/bin/env bash
# Speed of Spadework's CPU engine beside PyTorch 1.13 (Debian, oneDNN) on the same
# weights, label maps, machine and thread count, in one run. Prints a Markdown table.
#
#   scripts/bench.sh [THREADS]        (default: all cores)
#
# Models: the reference ADE20K generator shape (ngf 64, 151 channels, 96.5M parameters;
# random weights, since pretrained ones can't be downloaded here) and the embedded default
# model. Label maps: 8 SIFT Flow test maps (every 25th of test.txt), mapped to ADE20K ids by
# class name for the ADE20K model. Needs /usr/bin/python3 with python3-torch.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
threads=${1:-$(nproc)}
work=${SPADEWORK_BENCH_DIR:-/tmp/spadework-bench}
data=../shared/data/siftflow
mkdir -p "$work"
go build -o "$work/spadework" .
/usr/bin/python3 - "$data" "$work" <<'PY'
import sys, numpy as np
from PIL import Image
data, work = sys.argv[1], sys.argv[2]
# SIFT Flow id -> ADE20K-150 id, by class name (nearest class where ADE20K lacks one).
sift_to_ade = {0: 0, 1: 87, 2: 2, 3: 127, 4: 77, 5: 62, 6: 2, 7: 81, 8: 21, 9: 127, 10: 7, 11: 47,
               12: 15, 13: 33, 14: 30, 15: 10, 16: 3, 17: 17, 18: 13, 19: 18, 20: 94, 21: 61, 22: 7,
               23: 35, 24: 47, 25: 27, 26: 12, 27: 44, 28: 3, 29: 54, 30: 88, 31: 3, 32: 5, 33: 9}
lut = np.zeros(256, np.uint8)
for k, v in sift_to_ade.items():
    lut[k] = v
names = open(data + "/test.txt").read().split()[::25]
for n in names:
    a = np.asarray(Image.open("%s/labels/%s.png" % (data, n)))
    Image.fromarray(lut[a]).save("%s/ade_%s.png" % (work, n))
    Image.fromarray(a).save("%s/sift_%s.png" % (work, n))
PY
[ -f "$work/ade20k.safetensors" ] || /usr/bin/python3 train/torch_ref.py make-ade20k --out "$work/ade20k.safetensors" >&2
"$work/spadework" info -model default >/dev/null
rows=()
for spec in "ade20k:$work/ade20k.safetensors:ade" "default:default:sift"; do
  name=${spec%%:*}; rest=${spec#*:}; model=${rest%%:*}; prefix=${rest##*:}
  maps=$(ls "$work"/${prefix}_*.png)
  tmodel=$model
  if [ "$model" = default ]; then tmodel=assets/models/default.safetensors; fi
  pt=$(/usr/bin/python3 train/torch_ref.py bench --model "$tmodel" --threads "$threads" --runs 5 --labels $maps)
  go=$("$work/spadework" bench -model "$model" -threads "$threads" -runs 9 -json $maps)
  rows+=("$name|$pt|$go")
done
/usr/bin/python3 - "${rows[@]}" <<'PY'
import json, sys
print("| model | threads | PyTorch 1.13 ms/frame | Spadework ms/frame | speed-up | Spadework allocs/frame |")
print("| --- | --- | --- | --- | --- | --- |")
for r in sys.argv[1:]:
    name, pt, go = r.split("|", 2)
    pt, go = json.loads(pt), json.loads(go)
    print("| %s (%s) | %d | %.1f | %.1f | %.1f× | %.0f |" % (name, go["size"], go["threads"], pt["ms_median"],
          go["ms_median"], pt["ms_median"] / go["ms_median"], go["allocs_per_frame"]))
PY
