#!/usr/bin/env python3
"""The narrated demo video, played on the real cluster in headless Chromium.

Run by node/tests/console_browser.rs (the ignored test `the_demo_video`, which
scripts/make-video.sh runs) against three real nodes and a real AuthZ sidecar, over HTTPS with
the cluster's CA (--ca) trusted by Chromium through an NSS database. It reads the
scenes from docs/customer/video-script.md, speaks each quoted paragraph with espeak-ng, performs
the on-screen step named in brackets before it, and saves a screenshot stream with the time of
each frame. It writes into $CRETOAI_VIDEO_WORK: frames/, frames.ffconcat (the frames with their
durations, for ffmpeg), narration.wav (each sentence at the moment it was spoken) and
subtitles.vtt (the same moments); scripts/make-video.sh encodes them. With CRETOAI_VIDEO_CUT=1
it plays only the first sentence of the first two scenes (the short cut the tests render).

Why screenshots and not a screen grabber: no X server and no frame drops under load. Every frame
carries the time it was taken, and every sentence the time it started, so picture and sound stay
in step however slow the machine is: a step that takes longer just makes its scene longer.
"""
import argparse
import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import wave

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console import WAIT, Console, browser, http, trust  # noqa: E402  (one set of console helpers)

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../docs/customer/video-script.md")
# The page is laid out at 1440x810 CSS pixels (the console's comfortable width) and captured at
# 4/3 scale: 1920x1080 frames with sharp text.
VIEW, SCALE = (1440, 810), 4 / 3
VOICE, WPM = "en-us", 165
GAP, LEAD, MAX_FPS = 0.4, 0.6, 8  # between sentences; from an action to its words; frame cap
# espeak-ng reads these as numbers or runs letters together; the subtitles keep the written form.
SAY = {"X25519": "X 2 5 5 1 9", "Ed25519": "Ed 2 5 5 1 9", "CretoAI": "Creeto A.I.", "payments/v1": "payments v1"}
HIGHLIGHT = "#f59e0b"


def parse(path):
    """Scenes from the script: `## N. Title` headings, `> [cue] text` paragraphs."""
    scenes = []
    for line in open(path, encoding="utf-8"):
        if m := re.match(r"## \d+\. (.+)", line):
            scenes.append({"title": m.group(1).strip(), "lines": []})
        elif line.startswith("> ") and scenes:
            m = re.match(r"(?:\[([\w-]+)\]\s*)?(.+)", line[2:].strip())
            scenes[-1]["lines"].append((m.group(1), m.group(2)))
    return scenes


def sentences(text):
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def speak(text, path):
    for written, spoken in SAY.items():
        text = text.replace(written, spoken)
    subprocess.run(["espeak-ng", "-v", VOICE, "-s", str(WPM), "-w", path, text], check=True)
    with wave.open(path) as w:
        return w.getnframes() / w.getframerate()


def warm_up(nodes, token):
    """A few transactions on each node while the title card shows, so that the cluster table has
    figures. Only a few: under a steady stream the nodes' rounds drift further apart than the DAG
    panel's window, and its drawing would show one lane."""
    for node in nodes:
        http("POST", node + "/v1/keys", token, {"name": "video-warm-up", "type": "ml-dsa-44"})
    for n in range(3):
        for node in nodes:
            payload = base64.b64encode(f"demo transaction {n}".encode()).decode()
            http("POST", node + "/v1/consensus/transactions", token, {"key": "video-warm-up", "payload": payload})
        time.sleep(1.5)


def stamp(t):
    h, rest = divmod(t, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"


class Film(Console):
    """The console helpers, with every wait filmed and every click shown."""

    def __init__(self, driver, nodes, token, work):
        super().__init__(driver, nodes, token, None)
        self.work = work
        self.frames = []   # (path, seconds)
        self.spoken = []   # (start, duration, text, wav)
        self.t0 = time.monotonic()
        self.free = 0.0    # when the narrator stops talking
        os.makedirs(os.path.join(work, "frames"), exist_ok=True)

    def now(self):
        return time.monotonic() - self.t0

    def grab(self):
        began = self.now()
        # JPEG straight from DevTools: several times faster than PNG at 1920x1080.
        data = self.d.execute_cdp_cmd("Page.captureScreenshot", {"format": "jpeg", "quality": 92})["data"]
        path = os.path.join(self.work, "frames", f"{len(self.frames):06d}.jpg")
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        self.frames.append((path, began))
        time.sleep(max(0.0, began + 1 / MAX_FPS - self.now()))

    def hold_until(self, t):
        while self.now() < t:
            self.grab()

    def hold(self, seconds):
        self.hold_until(self.now() + seconds)

    def wait(self, what, cond, timeout=WAIT):
        # Console.wait polls without filming; here the screen keeps rolling while we wait.
        end = time.monotonic() + timeout
        while True:
            try:
                if value := cond():
                    return value
            except (StaleElementReferenceException, NoSuchElementException):
                pass
            if time.monotonic() > end:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            self.grab()

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def click(self, css):
        # A viewer cannot see a headless pointer: the button glows for a moment before the click.
        el = self.q(css)
        self.js("arguments[0].scrollIntoView({block: 'nearest'});"
                f"arguments[0].style.boxShadow = '0 0 0 4px {HIGHLIGHT}';", el)
        self.hold(0.5)
        el.click()
        self.js("arguments[0].style.boxShadow = '';", el)

    def fill(self, css, value):
        field = self.q(css)
        field.clear()
        for i in range(0, len(value), 3):
            field.send_keys(value[i:i + 3])
            self.grab()

    def show(self, css):
        """Scrolls a part of the page into view and frames it (redrawn tables keep the frame:
        it is a separate box over the page)."""
        self.js("""
            document.querySelectorAll('.video-mark').forEach((e) => e.remove());
            const els = [...document.querySelectorAll(arguments[0])].filter((e) => e.offsetParent);
            if (!els.length) return;
            els[0].scrollIntoView({block: 'center'});
            const r = els.map((e) => e.getBoundingClientRect());
            const box = document.createElement('div');
            box.className = 'video-mark';
            const left = Math.min(...r.map((x) => x.left)), top = Math.min(...r.map((x) => x.top));
            Object.assign(box.style, {position: 'absolute', pointerEvents: 'none', zIndex: 50,
              left: (left + scrollX - 6) + 'px', top: (top + scrollY - 6) + 'px',
              width: (Math.max(...r.map((x) => x.right)) - left + 12) + 'px',
              height: (Math.max(...r.map((x) => x.bottom)) - top + 12) + 'px',
              border: '3px solid', borderRadius: '8px'});
            box.style.borderColor = arguments[1];
            document.body.appendChild(box);""", css, HIGHLIGHT)

    def unmark(self):
        self.js("document.querySelectorAll('.video-mark').forEach((e) => e.remove())")

    def card(self, title, subtitle, note):
        """A full-screen title card over the live page."""
        self.js("""
            const c = document.createElement('div');
            c.id = 'video-card';
            Object.assign(c.style, {position: 'fixed', inset: 0, zIndex: 100, display: 'flex',
              flexDirection: 'column', justifyContent: 'center', alignItems: 'center', gap: '18px',
              background: 'linear-gradient(135deg, #0b2545, #13315c 60%, #134074)', color: '#fff',
              fontFamily: 'DejaVu Sans, sans-serif', textAlign: 'center'});
            for (const [text, size, opacity] of [[arguments[0], 64, 1], [arguments[1], 30, 0.95], [arguments[2], 20, 0.7]]) {
              const p = document.createElement('div');
              Object.assign(p.style, {fontSize: size + 'px', opacity, maxWidth: '1100px'});
              p.textContent = text;
              c.appendChild(p);
            }
            document.body.appendChild(c);""", title, subtitle, note)

    def uncard(self):
        self.js("document.getElementById('video-card')?.remove()")

    def label(self, text):
        """The scene's name in a corner, so a viewer who jumps in knows where they are."""
        self.js("""
            let l = document.getElementById('video-label');
            if (!l) {
              l = document.createElement('div');
              l.id = 'video-label';
              Object.assign(l.style, {position: 'fixed', right: '16px', bottom: '14px', zIndex: 90,
                padding: '6px 14px', borderRadius: '18px', background: 'rgba(11, 37, 69, 0.88)',
                color: '#fff', font: '15px DejaVu Sans, sans-serif'});
              document.body.appendChild(l);
            }
            l.textContent = arguments[0];""", text)

    # ---- narration ----

    def say(self, text):
        for s in sentences(text):
            self.hold_until(self.free + GAP)
            wav = os.path.join(self.work, f"say-{len(self.spoken):03d}.wav")
            duration = speak(s, wav)
            start = self.now()
            self.spoken.append((start, duration, s, wav))
            self.free = start + duration

    def settle(self):
        self.hold_until(self.free + GAP)

    def play(self, scenes, cut):
        for number, scene in enumerate(scenes, 1):
            self.label(f"{number} · {scene['title']}")
            for cue, text in scene["lines"][:1] if cut else scene["lines"]:
                if cut:
                    text = sentences(text)[0]
                self.settle()
                if cue:
                    self.unmark()
                    getattr(self, "cue_" + cue.replace("-", "_"))()
                    self.hold(LEAD)
                self.say(text)
            self.settle()
            self.hold(0.8)

    # ---- what happens on screen, by cue ----

    def cue_title(self):
        self.card("CretoAI", "Post-quantum security for AI agents",
                  "a real three-node cluster and its console, recorded as it runs")

    def cue_console(self):
        self.uncard()
        self.tab("cluster")

    def cue_cluster(self):
        self.uncard()
        self.tab("cluster")
        self.ids = self.cluster()
        self.show("#panel-cluster > .card")

    def cue_peers(self):
        self.show("#cluster-nodes td:last-child")

    def cue_connection(self):
        self.wait("the post-quantum connection badge", lambda: "X25519MLKEM768" in self.text("#connection"))
        self.show("#connection")

    def cue_charts(self):
        self.show("#panel-cluster .charts")

    def cue_dag(self):
        self.tab("dag")
        self.show("#dag-canvas")

    def cue_submit(self):
        for node in self.nodes:
            http("POST", node + "/v1/keys", self.token, {"name": "video-dag", "type": "ml-dsa-65"})
            status, body = http("POST", node + "/v1/consensus/transactions", self.token,
                                {"key": "video-dag", "payload": "aGVsbG8="})
            assert status == 202, body

        def lanes():
            rows = self.qs("#dag-lanes tr")
            counts = [[int(c.text.replace(",", "")) for c in r.find_elements("css selector", "td.num")] for r in rows]
            return len(rows) == 3 and all(c[0] >= 1 for c in counts) and sum(c[1] for c in counts) >= 3
        self.wait("a vertex from each of the three authors, accepted", lanes)
        self.show("#dag-lanes")

    def cue_pause(self):
        self.click("#dag-pause")
        self.wait("the DAG paused", lambda: "paused" in self.text("#dag-info"))
        # The newest accepted vertex: the rightmost pixel in the accepted colour.
        spot = self.js("""
            const c = document.getElementById('dag-canvas'), g = c.getContext('2d');
            const px = g.getImageData(0, 0, c.width, c.height).data;
            const good = getComputedStyle(document.documentElement).getPropertyValue('--good').trim();
            const [r, gg, b] = [1, 3, 5].map((i) => parseInt(good.slice(i, i + 2), 16));
            for (let x = c.width - 1; x >= 0; x--) for (let y = 0; y < c.height; y++) {
              const i = (y * c.width + x) * 4;
              if (px[i] === r && px[i + 1] === gg && px[i + 2] === b)
                return [x / (c.width / c.clientWidth), y / (c.height / c.clientHeight), c.clientWidth, c.clientHeight];
            }
            return null;""")
        assert spot, "an accepted vertex is drawn"
        x, y, w, h = spot
        ActionChains(self.d).move_to_element_with_offset(
            self.q("#dag-canvas"), int(x - w / 2) - 2, int(y - h / 2) + 2).click().perform()
        self.result("#dag-detail", "ML-DSA-65", "accepted", "parents")
        self.show("#dag-detail")

    def cue_resume(self):
        self.click("#dag-pause")
        self.wait("the DAG resumed", lambda: "paused" not in self.text("#dag-info"))
        self.show("#dag-canvas")

    def cue_crypto(self):
        self.tab("crypto")
        self.fill("#enc-key", "payments-kem")
        self.fill("#enc-text", "wire 120 EUR to ACME, order 42")
        self.click("#encrypt-form button[type=submit]")
        self.result("#enc-result", "encrypted", "ms on the node")
        self.show("#enc-result")

    def cue_decrypt(self):
        self.click("#decrypt")
        self.result("#enc-result", "decrypted:")
        self.show("#enc-result")

    def cue_tamper_ct(self):
        self.click("#tamper-ct")
        self.result("#enc-result", "one flipped byte, refused")
        self.show("#enc-result")

    def cue_sign(self):
        self.fill("#sign-key", "payments-dsa")
        self.click("#sign-form button[type=submit]")
        self.result("#sign-result", "signed with ml-dsa-65")
        self.click("#verify")
        self.result("#sign-result", "signature valid")
        self.show("#sign-result")

    def cue_tamper_sig(self):
        self.click("#tamper-sig")
        self.result("#sign-result", "one flipped byte", "INVALID")
        self.show("#sign-result")

    def cue_context(self):
        self.fill("#sign-context", "other/v1")
        self.click("#verify")
        self.result("#sign-result", "INVALID", "other/v1")
        self.show("#sign-result")

    def cue_sizes(self):
        self.show("#sizes")

    def cue_vault(self):
        self.tab("vault")
        self.fill("#vault-path", "agents/payments-bot/stripe")
        self.show("#vault-form")

    def cue_versions(self):
        for version in (1, 2):
            self.fill("#vault-value", f"sk_demo_{version}")
            self.click("#vault-form button[type=submit]")
            self.result("#vault-result", f"wrote version {version}")
            self.hold(0.8)
        self.fill("#vault-version", "1")
        self.click("#vault-read")
        self.result("#vault-result", "version 1: api_key = sk_demo_1")
        self.show("#vault-result")

    def cue_delete(self):
        self.click("#vault-delete")
        self.result("#vault-result", "soft-deleted")
        self.hold(1.0)
        self.fill("#vault-version", "2")
        self.click("#vault-read")
        self.result("#vault-result", "secret_version_deleted")
        self.show("#vault-result")

    def cue_undelete(self):
        self.click("#vault-undelete")
        self.result("#vault-result", "version 2 undeleted")
        self.show("#vault-result")

    def cue_destroy(self):
        self.fill("#vault-version", "1")
        self.click("#vault-destroy")
        self.result("#vault-result", "version 1 destroyed")
        self.show("#vault-versions")

    def cue_audit(self):
        self.click("#vault-verify")
        self.result("#vault-result", "audit chain intact")
        self.show("#vault-audit")

    def cue_authz(self):
        self.tab("authz")
        self.show("#panel-authz > .card:first-child")

    def decide(self, mode):
        self.click(f'button.mode[data-mode="{mode}"]')
        self.wait(f"mode {mode}", lambda: self.text("#authz-mode") == mode)
        self.click('button.sample[data-sample="payment"]')
        self.result("#authz-result", "ALLOW", f"in {mode} mode")
        self.show("#authz-decision")

    def cue_classical(self):
        self.decide("classical")

    def cue_hybrid(self):
        self.decide("hybrid")

    def cue_pqc(self):
        self.decide("pqc")
        self.wait("every algorithm compared", lambda: len(self.qs("#authz-compare tr")) >= 7)
        self.hold(1.5)
        self.show("#authz-compare")

    def cue_refuse(self):
        self.click("#authz-verify-classical")
        self.result("#authz-result", "classical token refused", "alg_not_accepted")
        self.show("#authz-result")

    def cue_anchor(self):
        self.result("#authz-anchor", "anchored as transaction", "accepted", timeout=45)
        self.show("#authz-anchor")

    def cue_closing(self):
        self.tab("cluster")

    def cue_end(self):
        self.card("CretoAI", "Post-quantum security for AI agents",
                  "docker compose up, trust its CA once, then open the console link it prints")

    # ---- output ----

    def write(self, tail=1.5):
        self.settle()
        self.hold(tail)
        end = self.now()
        # The first frame stands for the start; each frame lasts until the next one.
        times = [0.0] + [t for _, t in self.frames[1:]] + [end]
        with open(os.path.join(self.work, "frames.ffconcat"), "w") as f:
            f.write("ffconcat version 1.0\n")
            for i, (path, _) in enumerate(self.frames):
                f.write(f"file '{path}'\nduration {times[i + 1] - times[i]:.3f}\n")
            f.write(f"file '{self.frames[-1][0]}'\n")  # the concat demuxer ignores the last duration
        with wave.open(self.spoken[0][3]) as w:
            params, rate = w.getparams(), w.getframerate()
        pcm = bytearray(int(end * rate) * 2)
        for start, _, _, path in self.spoken:
            with wave.open(path) as w:
                data = w.readframes(w.getnframes())
            at = int(start * rate) * 2
            pcm[at:at + len(data)] = data[:len(pcm) - at]
        with wave.open(os.path.join(self.work, "narration.wav"), "wb") as w:
            w.setparams(params)
            w.writeframes(bytes(pcm))
        with open(os.path.join(self.work, "subtitles.vtt"), "w", encoding="utf-8") as f:
            f.write("WEBVTT\n")
            for i, (start, duration, text, _) in enumerate(self.spoken, 1):
                f.write(f"\n{i}\n{stamp(start)} --> {stamp(start + duration)}\n{text}\n")
        return end


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", required=True, help="comma-separated node base URLs")
    parser.add_argument("--token", required=True, help="the nodes' root token")
    parser.add_argument("--ca", required=True, help="the cluster's CA (PEM), trusted through an NSS database")
    args = parser.parse_args()
    work = os.environ.get("CRETOAI_VIDEO_WORK") or sys.exit("CRETOAI_VIDEO_WORK is not set (scripts/make-video.sh sets it)")
    cut = os.environ.get("CRETOAI_VIDEO_CUT") == "1"
    scenes = parse(os.environ.get("CRETOAI_VIDEO_SCRIPT", SCRIPT))
    if cut:
        scenes = scenes[:2]
    # An edited script must not fail half-way through a recording.
    unknown = [c for s in scenes for c, _ in s["lines"] if c and not hasattr(Film, "cue_" + c.replace("-", "_"))]
    assert scenes and not unknown, f"no scenes, or unknown cues in the script: {unknown}"
    # A hung browser must not hold the machine.
    signal.signal(signal.SIGALRM, lambda *_: sys.exit("the video exceeded its time budget"))
    signal.alarm(180 if cut else 1200)
    nodes = args.nodes.split(",")
    home = trust(args.ca)
    threading.Thread(target=warm_up, args=(nodes, args.token), daemon=True).start()
    driver = browser(home)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": VIEW[0], "height": VIEW[1], "deviceScaleFactor": SCALE, "mobile": False})
    driver.execute_cdp_cmd("Emulation.setScrollbarsHidden", {"hidden": True})
    try:
        film = Film(driver, nodes, args.token, work)
        film.sign_in(args.token)
        film.t0 = time.monotonic()
        film.play(scenes, cut)
        length = film.write()
    except Exception:
        driver.save_screenshot(os.path.join(work, "failure.png"))
        raise
    finally:
        driver.quit()
        shutil.rmtree(home, ignore_errors=True)
    print(f"video: {len(film.frames)} frames, {len(film.spoken)} sentences, {length:.1f} s, in {work}")


if __name__ == "__main__":
    main()
