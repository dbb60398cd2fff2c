#!/usr/bin/env bash
# The narrated demo video, made by one command from docs/customer/video-script.md: three real
# cretoai-node processes and a real AuthZ sidecar over HTTPS with one cluster CA (started by
# node/tests/console_browser.rs, the ignored test `the_demo_video`), the console played in
# headless Chromium, which trusts that CA through an NSS database, by node/tests/browser/video.py,
# narration by espeak-ng, encoded by ffmpeg. All offline, from Debian's archive (installed here
# if missing), plus Selenium in the venv the browser suite uses.
#
# Usage: scripts/make-video.sh         the full video: docs/customer/demo.mp4 and demo.vtt
#        scripts/make-video.sh --cut   a cut of about 20 seconds, into .ci/work/video/cut
#                                      (what scripts/test.sh renders to keep the pipeline working)
# Either way the result is checked with ffprobe: length, 1920x1080, a sound track, subtitles.
# Uses the binaries `cargo test --workspace` built (it builds them if needed).
set -euo pipefail
cd "$(dirname "$0")/.."

cut=""
for arg in "$@"; do
  case "$arg" in
    --cut) cut=1 ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

. scripts/browser-setup.sh
browser_setup ffmpeg espeak-ng

if [ -n "$cut" ]; then
  work="$PWD/.ci/work/video/cut"; out="$work/cut"; length="10 45"; budget=240; preset=veryfast
else
  work="$PWD/.ci/work/video/full"; out=docs/customer/demo; length="240 360"; budget=1500; preset=medium
fi
rm -rf "$work"
mkdir -p "$work"

start=$(date +%s)
export CRETOAI_BROWSER_PYTHON="$venv/bin/python" CRETOAI_VIDEO_WORK="$work" CRETOAI_VIDEO_CUT="${cut:-0}"
timeout "$budget" "$test_bin" --ignored --exact the_demo_video --nocapture --test-threads 1
recorded=$(date +%s)

# Frames arrive a few per second, each with its own duration; 15 fps is plenty for a screen and
# keeps the file small (most frames repeat the one before).
ffmpeg -y -loglevel error -f concat -safe 0 -i "$work/frames.ffconcat" -i "$work/narration.wav" \
  -i "$work/subtitles.vtt" -map 0:v -map 1:a -map 2:s \
  -vf "fps=15,scale=1920:1080:flags=lanczos,format=yuv420p" -c:v libx264 -preset "$preset" -crf 30 \
  -c:a aac -b:a 64k -c:s mov_text -metadata:s:s:0 language=eng -movflags +faststart \
  "$out.mp4"
cp "$work/subtitles.vtt" "$out.vtt"

# The properties the video must have, whatever is on screen.
probe() { ffprobe -v error -select_streams "$1" -show_entries "$2" -of csv=p=0 "$out.mp4"; }
duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$out.mp4")
size=$(probe v:0 stream=width,height)
audio=$(probe a:0 stream=codec_name)
cues=$(grep -c -- '-->' "$out.vtt" || true)
read -r min max <<<"$length"
fail=""
awk -v d="$duration" -v lo="$min" -v hi="$max" 'BEGIN { exit !(d >= lo && d <= hi) }' ||
  fail+=" duration ${duration}s is outside ${min}-${max}s;"
[ "$size" = "1920,1080" ] || fail+=" resolution $size, not 1920x1080;"
[ -n "$audio" ] || fail+=" no audio stream;"
[ "$cues" -ge 1 ] || fail+=" no subtitle cues;"
if [ -n "$fail" ]; then echo "make-video: $out.mp4:$fail" >&2; exit 1; fi
rm -rf "$work/frames"  # hundreds of MB for the full video; kept above only to debug a failure
echo "$out.mp4: ${duration%.*} s, ${size/,/x}, audio $audio, $cues subtitle cues, $(du -h "$out.mp4" | cut -f1);" \
  "recorded in $((recorded - start)) s, encoded in $(($(date +%s) - recorded)) s"
