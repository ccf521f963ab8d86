#!/usr/bin/env bash
# Real-window test: runs Spadework in a real X server (Xvfb), selects a label
# by clicking the palette, paints a stroke with the mouse (xdotool), waits for
# the generator's preview to update, and checks screenshots: the painted
# region must have taken the label's colour and the preview must have changed;
# then Ctrl+Z must take the stroke back.
#
# Environment:
#   WINDOW_TEST_BIN    app binary to test; default: spadework built from the
#                      repository root (the embedded default model).
#   WINDOW_TEST_ARGS   extra arguments for the binary.
#   WINDOW_TEST_OUT    where screenshots go (default: /tmp/spadework-window-test).
#   WINDOW_TEST_LABEL  palette label to paint with (default: tree, which the
#                      starter landscape does not use).
#   WINDOW_TEST_DISPLAY  X display number (default 99).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin

OUT=${WINDOW_TEST_OUT:-${TMPDIR:-/tmp}/spadework-window-test}
LABEL=${WINDOW_TEST_LABEL:-tree}
DISP=${WINDOW_TEST_DISPLAY:-99}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d)

fail() { echo "window test FAILED: $*" >&2; exit 1; }
for tool in Xvfb xdotool import convert compare; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/deps.sh installs it)"
done

# --- build ---------------------------------------------------------------
BIN=${WINDOW_TEST_BIN:-}
ARGS=()
if [ -z "$BIN" ]; then
  BIN=$WORK/spadework
  echo "building spadework…"
  go build -o "$BIN" .
fi
# A fresh settings and autosave folder: no recovery prompt from an earlier run.
export XDG_CONFIG_HOME=$WORK/config
# shellcheck disable=SC2206
ARGS+=(${WINDOW_TEST_ARGS:-})

# --- X server ----------------------------------------------------------------
while [ -e "/tmp/.X${DISP}-lock" ]; do DISP=$((DISP + 1)); done
Xvfb ":$DISP" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
APP=""
cleanup() {
  [ -n "$APP" ] && kill "$APP" 2>/dev/null || true
  kill "$XVFB" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export DISPLAY=":$DISP"
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done 2>/dev/null || true
sleep 0.5

# --- app -------------------------------------------------------------------
# Fyne dialogs (never a native dialog that would hang the test), a clean
# config folder (no recovery prompt, no recent files), and the layout file
# that says where the palette, painting and preview are.
export SPADEWORK_FYNE_DIALOGS=1
export SPADEWORK_LAYOUT_FILE=$WORK/layout.sh
export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/config LANG=C.UTF-8
mkdir -p "$HOME" "$XDG_CONFIG_HOME"
"$BIN" "${ARGS[@]}" >"$OUT/app.log" 2>&1 &
APP=$!

WID=""
for _ in $(seq 120); do
  kill -0 "$APP" 2>/dev/null || fail "the app exited early; log: $(tail -5 "$OUT/app.log")"
  WID=$(xdotool search --onlyvisible --name 'Spadework' 2>/dev/null | head -1 || true)
  [ -n "$WID" ] && [ -s "$SPADEWORK_LAYOUT_FILE" ] && break
  sleep 0.5
done
[ -n "$WID" ] || fail "no Spadework window appeared within 60 s"
[ -s "$SPADEWORK_LAYOUT_FILE" ] || fail "the app never showed a first frame (no layout file)"
sleep 1 # let the first layout settle, then read where things are
# shellcheck disable=SC1090
source "$SPADEWORK_LAYOUT_FILE"
eval "$(xdotool getwindowgeometry --shell "$WID")" # X, Y, WIDTH, HEIGHT
echo "window $WID at $X,$Y ${WIDTH}x${HEIGHT}; painting ${PAINT_W}x${PAINT_H}+${PAINT_X}+${PAINT_Y}; preview ${PREVIEW_W}x${PREVIEW_H}+${PREVIEW_X}+${PREVIEW_Y}"
[ "${PAINT_W:-0}" -gt 50 ] && [ "${PREVIEW_W:-0}" -gt 50 ] || fail "painting or preview is too small to test (see layout above)"

sx=SWATCH_${LABEL}_X sy=SWATCH_${LABEL}_Y sw=SWATCH_${LABEL}_W sh=SWATCH_${LABEL}_H
[ -n "${!sx:-}" ] || fail "label '$LABEL' is not visible in the palette"

shot() { import -window root "$1"; }
# crop FILE X Y W H OUT
crop() { convert "$1" -crop "${4}x${5}+${2}+${3}" +repage "$6"; }
# pixel FILE X Y -> "r g b"
pixel() { convert "$1" -format '%[fx:int(255*p{'"$2"','"$3"'}.r)] %[fx:int(255*p{'"$2"','"$3"'}.g)] %[fx:int(255*p{'"$2"','"$3"'}.b)]' info:; }

shot "$OUT/before.png"

# --- select the label: click its swatch ---------------------------------------
xdotool mousemove --sync $((X + ${!sx} + ${!sw} / 2)) $((Y + ${!sy} + ${!sh} / 2)) click 1
sleep 0.5
# The swatch's colour chip shows the label's colour: that is what the stroke
# must paint.
LABEL_RGB=$(pixel "$OUT/before.png" $((X + ${!sx} + 14)) $((Y + ${!sy} + ${!sh} / 2)))
echo "label $LABEL colour: $LABEL_RGB"

# --- a broad brush (about 80 of 256 on the size slider) -------------------------
# A broad stroke makes a change any generator shows, however coarse.
xdotool mousemove --sync $((X + SIZE_SLIDER_X + SIZE_SLIDER_W * 80 / 256)) $((Y + SIZE_SLIDER_Y + SIZE_SLIDER_H / 2)) click 1
sleep 0.3

# --- paint a stroke across the painting ---------------------------------------
PX0=$((X + PAINT_X + PAINT_W / 5)) PX1=$((X + PAINT_X + PAINT_W * 4 / 5))
PY0=$((Y + PAINT_Y + PAINT_H * 2 / 3)) PY1=$((Y + PAINT_Y + PAINT_H / 2))
xdotool mousemove --sync "$PX0" "$PY0" mousedown 1
for i in $(seq 1 30); do
  xdotool mousemove --sync $((PX0 + (PX1 - PX0) * i / 30)) $((PY0 + (PY1 - PY0) * i / 30))
  sleep 0.03
done
xdotool mouseup 1
xdotool mousemove --sync $((X + 5)) $((Y + HEIGHT - 5)) # off the painting: no brush outline

# --- wait for the preview -----------------------------------------------------
crop "$OUT/before.png" $((X + PREVIEW_X)) $((Y + PREVIEW_Y)) "$PREVIEW_W" "$PREVIEW_H" "$WORK/prev_before.png"
changed=0
for _ in $(seq 120); do
  sleep 0.5
  shot "$OUT/after.png"
  crop "$OUT/after.png" $((X + PREVIEW_X)) $((Y + PREVIEW_Y)) "$PREVIEW_W" "$PREVIEW_H" "$WORK/prev_after.png"
  n=$(compare -metric AE -fuzz 3% "$WORK/prev_before.png" "$WORK/prev_after.png" null: 2>&1 || true)
  n=${n%% *}
  if [ "${n%.*}" -gt $((PREVIEW_W * PREVIEW_H / 400)) ] 2>/dev/null; then changed=1; break; fi
done
[ "$changed" = 1 ] || fail "the preview did not change within 60 s after the stroke ($n pixels differ)"
sleep 1
shot "$OUT/after.png"
echo "preview changed: $n pixels"

# --- check the painted region ------------------------------------------------
MX=$(((PX0 + PX1) / 2)) MY=$(((PY0 + PY1) / 2))
BEFORE_RGB=$(pixel "$OUT/before.png" "$MX" "$MY")
AFTER_RGB=$(pixel "$OUT/after.png" "$MX" "$MY")
echo "stroke middle ($MX,$MY): before $BEFORE_RGB, after $AFTER_RGB"
read -r lr lg lb <<<"$LABEL_RGB"
read -r ar ag ab <<<"$AFTER_RGB"
read -r br bg bb <<<"$BEFORE_RGB"
dist() { echo $(( ($1-$4)*($1-$4) + ($2-$5)*($2-$5) + ($3-$6)*($3-$6) )); }
[ "$(dist "$ar" "$ag" "$ab" "$br" "$bg" "$bb")" -gt 300 ] || fail "the painted region did not change colour"
[ "$(dist "$ar" "$ag" "$ab" "$lr" "$lg" "$lb")" -lt 300 ] || fail "the painted region is $AFTER_RGB, not the label colour $LABEL_RGB"

# The preview region under the stroke changed, too (the generator saw it).
QX=$((X + PREVIEW_X + (MX - X - PAINT_X) * PREVIEW_W / PAINT_W))
QY=$((Y + PREVIEW_Y + (MY - Y - PAINT_Y) * PREVIEW_H / PAINT_H))
echo "preview under the stroke ($QX,$QY): before $(pixel "$OUT/before.png" "$QX" "$QY"), after $(pixel "$OUT/after.png" "$QX" "$QY")"
# --- Ctrl+Z takes the stroke back ----------------------------------------------
xdotool key --clearmodifiers ctrl+z
undone=0
for _ in $(seq 20); do
  sleep 0.25
  shot "$OUT/undo.png"
  UNDO_RGB=$(pixel "$OUT/undo.png" "$MX" "$MY")
  read -r ur ug ub <<<"$UNDO_RGB"
  if [ "$(dist "$ur" "$ug" "$ub" "$br" "$bg" "$bb")" -lt 300 ]; then undone=1; break; fi
done
[ "$undone" = 1 ] || fail "Ctrl+Z did not take the stroke back (stroke middle is $UNDO_RGB, was $BEFORE_RGB)"
echo "Ctrl+Z undid the stroke"

convert "$OUT/before.png" "$OUT/after.png" -append -resize 50% "$OUT/before_after.png"
echo "window test passed; screenshots in $OUT (before.png, after.png, before_after.png)"
