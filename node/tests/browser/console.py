#!/usr/bin/env python3
"""The console in headless Chromium, driven over WebDriver (Selenium).

Run by node/tests/console_browser.rs against three real nodes and a real AuthZ sidecar, all
serving HTTPS with certificates from one cluster CA (--ca). Chromium trusts that CA the way a
person's browser does, through the NSS database of its HOME (certutil), never by ignoring
certificate errors; this script's own calls verify it too. It asserts what a person sees, the
post-quantum key exchange (X25519MLKEM768) of the browser's own connection included, saves a
screenshot of each panel and prints the paths. With --load-bench it also loads the cluster with
cretoai-bench and measures the time from navigation to a fully rendered page (every node listed
with its figures, charts filled); --load-json writes those figures as JSON.

One browser session for everything; the sidecar's mode is global, so the AuthZ steps run in
order (classical, hybrid, pqc) in this one run.
"""
import argparse
import json
import os
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BUDGET_SECONDS = 360
WAIT = 30
# This script's own calls verify the nodes against the cluster CA (set by trust()).
TLS = ssl.create_default_context()


def trust(ca):
    """This script's calls and the browsers it starts trust `ca` (the cluster's CA, PEM).
    Answers a HOME for Chromium whose NSS database holds that CA, imported with certutil as
    scripts/trust-ca.sh does on a person's machine; the caller removes it."""
    global TLS
    TLS = ssl.create_default_context(cafile=ca)
    home = tempfile.mkdtemp(prefix="cretoai-nss-")
    nssdb = os.path.join(home, ".pki", "nssdb")
    os.makedirs(nssdb)
    subprocess.run(["certutil", "-d", "sql:" + nssdb, "-N", "--empty-password"], check=True)
    subprocess.run(["certutil", "-d", "sql:" + nssdb, "-A", "-t", "C,,", "-n", "CretoAI cluster CA", "-i", ca],
                   check=True)
    return home


def http(method, url, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10, context=TLS) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def browser(home):
    """Headless Chromium whose HOME (and so its NSS database, see trust()) is `home`."""
    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,1100",
                "--force-color-profile=srgb", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver", env=dict(os.environ, HOME=home))
    return webdriver.Chrome(options=options, service=service)


class Console:
    def __init__(self, driver, nodes, token, shots):
        self.d, self.nodes, self.token, self.shots = driver, nodes, token, shots
        self.saved = []

    def wait(self, what, cond, timeout=WAIT):
        try:
            # Tables are redrawn every second: an element can go stale between two reads.
            return WebDriverWait(self.d, timeout, poll_frequency=0.2,
                                 ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(lambda _: cond())
        except TimeoutException:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None

    def q(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css)

    def qs(self, css):
        return self.d.find_elements(By.CSS_SELECTOR, css)

    def text(self, css):
        return self.q(css).text

    def click(self, css):
        self.q(css).click()

    def fill(self, css, value):
        field = self.q(css)
        field.clear()
        field.send_keys(value)

    def tab(self, name):
        self.click(f'#tabs button[data-panel="{name}"]')
        self.wait(f"the {name} panel", lambda: self.q(f"#panel-{name}").is_displayed())

    def result(self, css, *needles, timeout=WAIT):
        self.wait(f"{css} to show {needles}", lambda: all(n in self.text(css) for n in needles), timeout)
        return self.text(css)

    def shot(self, name, css):
        if not self.shots:
            return
        os.makedirs(self.shots, exist_ok=True)
        path = os.path.join(self.shots, f"{name}.png")
        self.q(css).screenshot(path)
        self.saved.append(os.path.abspath(path))

    def sign_in(self, token, node=0):
        self.d.get(self.nodes[node] + "/dashboard")
        self.d.execute_script("sessionStorage.clear()")
        self.d.get(self.nodes[node] + "/dashboard#token=" + urllib.parse.quote(token, safe=""))
        self.wait("the console after sign-in", lambda: self.q("#main").is_displayed())
        assert "token" not in self.d.current_url, self.d.current_url
        stored = self.d.execute_script("return sessionStorage.getItem('cretoai.dashboard.token')")
        assert stored == token, "the token is kept in session storage"

    # ---- the checks ----

    def connection(self):
        """The browser's own connection: the badge, GET /v1/sys/connection from the page, and
        the event stream over wss:// on the same page."""
        badge = self.wait("the connection badge", lambda: (lambda t: t if any(
            w in t for w in ("X25519MLKEM768", "classical", "plain")) else None)(self.text("#connection")))
        assert badge == "your connection to this node: X25519MLKEM768 (post-quantum)", badge
        assert "pq" in self.q("#connection").get_attribute("class")
        seen = self.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch('/v1/sys/connection', {headers: {Authorization: 'Bearer ' + arguments[0]}})"
            ".then(r => r.json()).then(done, e => done({error: String(e)}));", self.token)
        assert seen.get("transport") == "https" and seen.get("key_exchange_group") == "X25519MLKEM768", seen
        assert seen.get("tls_version") == "TLSv1.3" and seen.get("post_quantum") is True, seen
        self.wait("the event stream live over wss://", lambda: self.text("#ws-state") == "events live")
        print(f"ok: Chromium, trusting the cluster CA through NSS, negotiated {seen['key_exchange_group']}, "
              f"{seen['tls_version']}, {seen['cipher_suite']}; wss events live")

    def cluster(self):
        ids = [http("GET", n + "/v1/consensus/status", self.token)[1]["node_id"] for n in self.nodes]

        def listed():
            rows = self.qs("#cluster-nodes tr.node.up")
            shown = sorted(r.find_element(By.CSS_SELECTOR, "code.node-id").text for r in rows)
            figures = all(r.find_elements(By.CSS_SELECTOR, "td.num")[1].text != "—" for r in rows)
            return len(rows) == 3 and shown == sorted(i[:16] for i in ids) and figures
        self.wait("three nodes listed, up, with their ids and figures", listed)
        assert "3 of 3 up" in self.text("#cluster-note"), self.text("#cluster-note")
        assert self.text("#node-id") == ids[0]
        # Each node's view of its two peers, as it reported it in its latest summary.
        self.wait("every link shown with its post-quantum key exchange",
                  lambda: self.text("#cluster-nodes").count("X25519MLKEM768") == 6)
        self.wait("the page fully rendered", lambda: self.d.execute_script("return document.documentElement.dataset.renderedMs"))
        print("ok: three nodes listed with their ids, figures and post-quantum links")
        return ids

    def dag(self, ids):
        # A transaction submitted to each node, so that each of them authors a vertex carrying it.
        self.tab("dag")
        for node in self.nodes:
            http("POST", node + "/v1/keys", self.token, {"name": "browser-dag", "type": "ml-dsa-65"})
            status, body = http("POST", node + "/v1/consensus/transactions", self.token,
                                {"key": "browser-dag", "payload": "aGVsbG8="})
            assert status == 202, body

        def lanes():
            rows = self.qs("#dag-lanes tr")
            counts = [[int(c.text.replace(",", "")) for c in r.find_elements(By.CSS_SELECTOR, "td.num")] for r in rows]
            authors = sorted(r.get_attribute("data-author") for r in rows)
            return authors == sorted(ids) and all(c[0] >= 1 for c in counts) and sum(c[1] for c in counts) >= 1
        self.wait("a vertex from each of the three authors, one accepted", lanes)
        # Paused, the drawing stays put; then click an accepted (green) vertex, found by its
        # colour on the canvas.
        self.click("#dag-pause")
        self.wait("the DAG paused", lambda: "paused" in self.text("#dag-info"))
        spot = self.d.execute_script("""
            const c = document.getElementById('dag-canvas');
            const g = c.getContext('2d'), w = c.width, h = c.height;
            const px = g.getImageData(0, 0, w, h).data;
            const good = getComputedStyle(document.documentElement).getPropertyValue('--good').trim();
            const [r, gg, b] = [1, 3, 5].map((i) => parseInt(good.slice(i, i + 2), 16));
            for (let x = w - 1; x >= 0; x--) for (let y = 0; y < h; y++) {
              const i = (y * w + x) * 4;
              if (px[i] === r && px[i + 1] === gg && px[i + 2] === b) return [x / (w / c.clientWidth), y / (h / c.clientHeight), c.clientWidth, c.clientHeight];
            }
            return null;""")
        assert spot, "an accepted vertex is drawn"
        x, y, w, h = spot
        canvas = self.q("#dag-canvas")
        ActionChains(self.d).move_to_element_with_offset(canvas, int(x - w / 2) - 2, int(y - h / 2) + 2).click().perform()
        detail = self.result("#dag-detail", "ML-DSA-65", "accepted", "parents")
        assert any(i in detail for i in ids), detail
        self.click("#dag-older")
        self.click("#dag-pause")
        self.wait("the DAG resumed", lambda: "paused" not in self.text("#dag-info"))
        print("ok: DAG with a vertex from each author, an accepted one clicked for its details")
        self.shot("dag", "#panel-dag")

    def crypto(self):
        self.tab("crypto")
        text = "wire 120 EUR to ACME, order 42"
        self.fill("#enc-key", "browser-kem")
        self.fill("#enc-text", text)
        self.click("#encrypt-form button[type=submit]")
        self.result("#enc-result", "encrypted", "ms on the node")
        self.click("#decrypt")
        assert self.result("#enc-result", "decrypted:").startswith("decrypted: " + text)
        self.click("#tamper-ct")
        self.result("#enc-result", "one flipped byte, refused", "decryption_failed")
        self.fill("#sign-key", "browser-dsa")
        self.click("#sign-form button[type=submit]")
        self.result("#sign-result", "signed with ml-dsa-65", "payments/v1")
        self.click("#verify")
        self.result("#sign-result", "signature valid")
        self.click("#tamper-sig")
        self.result("#sign-result", "one flipped byte", "INVALID")
        self.fill("#sign-context", "other/v1")
        self.click("#verify")
        self.result("#sign-result", "INVALID", "other/v1")
        sizes = {r.get_attribute("data-size"): r.find_element(By.CSS_SELECTOR, "td.num").text for r in self.qs("#sizes tr")}
        assert sizes["kem_public_key"] == "1,184" and sizes["dsa_public_key"] == "1,952" and sizes["signature"] == "3,309", sizes
        print("ok: encrypt -> decrypt gives the text back; a flipped byte fails decryption and verification")
        self.shot("crypto", "#panel-crypto")

    def vault(self):
        self.tab("vault")
        self.vault_path = f"agents/browser-{int(time.time())}/stripe"
        self.fill("#vault-path", self.vault_path)
        self.fill("#vault-value", "sk_demo_1")
        self.click("#vault-form button[type=submit]")
        self.result("#vault-result", "wrote version 1")
        self.fill("#vault-value", "sk_demo_2")
        self.click("#vault-form button[type=submit]")
        self.result("#vault-result", "wrote version 2")
        self.fill("#vault-version", "1")
        self.click("#vault-read")
        self.result("#vault-result", "version 1: api_key = sk_demo_1")
        self.click("#vault-delete")
        self.result("#vault-result", "soft-deleted")
        self.fill("#vault-version", "2")
        self.click("#vault-read")
        self.result("#vault-result", "secret_version_deleted")
        self.click("#vault-undelete")
        self.result("#vault-result", "version 2 undeleted")
        self.fill("#vault-version", "1")
        self.click("#vault-destroy")
        self.result("#vault-result", "version 1 destroyed")
        self.click("#vault-verify")
        self.result("#vault-result", "audit chain intact")
        audit = self.text("#vault-audit")
        for op in ("vault.write", "vault.read", "vault.delete", "vault.undelete", "vault.destroy"):
            assert op in audit, audit
        print("ok: vault versions, read, soft-delete, undelete, destroy, audit chain verified with each step's record")
        self.shot("vault", "#panel-vault")

    def authz(self):
        self.tab("authz")
        algorithms = {}
        for mode in ("classical", "hybrid", "pqc"):
            self.click(f'button.mode[data-mode="{mode}"]')
            self.wait(f"mode {mode}", lambda: self.text("#authz-mode") == mode)
            self.click('button.sample[data-sample="payment"]')
            self.result("#authz-result", "ALLOW", f"in {mode} mode")
            algorithms[mode] = self.text('#authz-decision dd[data-field="algorithm"]')
            assert f'"alg": "{algorithms[mode]}"' in self.text("#authz-header")
            self.wait("every algorithm compared", lambda: len(self.qs("#authz-compare tr")) >= 7)
        assert not algorithms["classical"].startswith("ML-DSA"), algorithms
        assert algorithms["hybrid"] == "ML-DSA-65-Ed25519", algorithms
        assert algorithms["pqc"] == "ML-DSA-65", algorithms
        self.click("#authz-verify-classical")
        self.result("#authz-result", "classical token refused", "alg_not_accepted")
        self.result("#authz-anchor", "anchored as transaction", "accepted", timeout=45)
        print(f"ok: signed decisions {algorithms}; a classical token refused in pqc mode; the decision anchored and accepted")
        self.shot("authz", "#panel-authz")
        self.click('button.sample[data-sample="clinical"]')
        self.result("#authz-result", "ALLOW", "break-glass")

    def transactions(self):
        self.tab("events")
        self.click("#submit-form button[type=submit]")
        self.wait("the submitted transaction accepted", lambda: "accepted" in self.text("#mine"))
        self.shot("transactions", "#panel-events")
        # The cluster once the steps above have given it some history.
        self.tab("cluster")
        self.shot("cluster", "#panel-cluster")

    def another_node(self):
        """Node 3's console serves what was done through node 1's: keys and secrets are the
        cluster's, not one node's."""
        self.sign_in(self.token, node=2)
        self.tab("crypto")
        self.fill("#sign-key", "browser-dsa")
        self.click("#sign-form button[type=submit]")
        self.result("#sign-result", "signed with ml-dsa-65")
        self.tab("vault")
        self.fill("#vault-path", self.vault_path)
        self.fill("#vault-version", "2")
        self.click("#vault-read")
        self.result("#vault-result", "version 2: api_key = sk_demo_2")
        print("ok: node 3's console signs with the key made through node 1 and reads its secret")

    def viewer(self):
        status, created = http("POST", self.nodes[0] + "/v1/auth/tokens", self.token, {"scopes": ["viewer"], "ttl_seconds": 600})
        assert status == 201, created
        self.sign_in(created["token"])
        assert "viewer" in self.text("#token-scopes")
        self.wait("the cluster for a viewer", lambda: len(self.qs("#cluster-nodes tr.node")) == 3)
        # A fresh page draws the vertices stored before it opened (in grey), so the DAG of a
        # cluster is never blank.
        self.tab("dag")
        self.wait("stored vertices drawn on opening", lambda: sum(
            int(r.find_elements(By.CSS_SELECTOR, "td.num")[3].text.replace(",", "")) for r in self.qs("#dag-lanes tr")) >= 3)
        self.tab("cluster")
        controls = self.qs("[data-needs]")
        assert controls and not any(c.is_displayed() for c in controls), "a viewer sees no write controls"
        for name in ("crypto", "vault", "authz", "events"):
            self.tab(name)
            buttons = [b for b in self.qs(f"#panel-{name} button") if b.is_displayed()]
            assert not buttons, f"{name}: {[b.text for b in buttons]}"
        self.tab("cluster")
        refused = self.d.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const t = sessionStorage.getItem('cretoai.dashboard.token');
            const call = (m, p, b) => fetch(p, {method: m, headers: {Authorization: 'Bearer ' + t, 'Content-Type': 'application/json'}, body: JSON.stringify(b)})
              .then(async (r) => [r.status, (await r.json()).error.code]);
            Promise.all([
              call('POST', '/v1/keys', {name: 'viewer-key', type: 'ml-dsa-65'}),
              call('POST', '/v1/consensus/transactions', {key: 'browser-dag', payload: 'aGk='}),
              call('PUT', '/v1/authz/mode', {mode: 'classical'}),
              call('PUT', '/v1/vault/secrets/agents/viewer', {data: {a: 'b'}}),
            ]).then(done, (e) => done(String(e)));""")
        assert refused == [[403, "forbidden"]] * 4, refused
        print("ok: a viewer token sees no write controls and its write attempts are refused (403 forbidden)")
        self.shot("viewer", "body")

    def load_time(self, bench, ca, rounds=5):
        """Figures of the page's load time under load, also answered as a dict."""
        cmd = [bench, "cluster", "--token", self.token, "--transactions", "250000", "--level", "ml-dsa-44",
               "--ca", ca]
        for n in self.nodes:
            cmd += ["--url", n]
        load = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.wait("the cluster under load", lambda: sum(
                (http("GET", n + "/v1/consensus/status", self.token)[1]["accepted_tps"] or 0) for n in self.nodes) > 300, timeout=120)
            # Once the nodes' 10-second rate window is full of load, not while it ramps up.
            time.sleep(12)
            times = []
            for _ in range(rounds):
                self.d.get(self.nodes[0] + "/dashboard")
                self.wait("the page fully rendered", lambda: self.d.execute_script("return document.documentElement.dataset.renderedMs"))
                times.append(int(self.d.execute_script("return document.documentElement.dataset.renderedMs")))
            tps = [http("GET", n + "/v1/consensus/status", self.token)[1]["accepted_tps"] for n in self.nodes]
            figures = {"loads_per_run": rounds, "median_ms": statistics.median(times), "longest_ms": max(times),
                       "accepted_tps_per_node": [round(t) for t in tps]}
            print(f"load time: fully rendered after median {figures['median_ms']} ms, max {figures['longest_ms']} ms "
                  f"over {rounds} loads; accepted TPS per node meanwhile {figures['accepted_tps_per_node']}")
            # Responsiveness with the DAG drawing the stream: the longest gap between two
            # animation frames and the main thread's long tasks over 10 seconds.
            self.tab("dag")
            self.d.set_script_timeout(30)
            gap, tasks, longest = self.d.execute_async_script("""
                const done = arguments[arguments.length - 1];
                const tasks = [];
                new PerformanceObserver((l) => tasks.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
                let last = performance.now(), gap = 0;
                const frame = (t) => { gap = Math.max(gap, t - last); last = t; requestAnimationFrame(frame); };
                requestAnimationFrame(frame);
                setTimeout(() => done([Math.round(gap), tasks.length, Math.round(Math.max(0, ...tasks))]), 10000);""")
            print(f"responsiveness under load, DAG panel open for 10 s: longest frame gap {gap} ms, "
                  f"{tasks} main-thread tasks over 50 ms (longest {longest} ms); {self.text('#dag-info')}")
            self.shot("dag-under-load", "#panel-dag")
            self.tab("cluster")
            self.shot("cluster-under-load", "#panel-cluster")
            return figures
        finally:
            load.kill()
            load.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", required=True, help="comma-separated node base URLs")
    parser.add_argument("--token", required=True, help="the nodes' root token")
    parser.add_argument("--screenshots", help="directory for one PNG per panel")
    parser.add_argument("--ca", required=True, help="the cluster's CA (PEM), trusted through an NSS database")
    parser.add_argument("--load-bench", help="cretoai-bench binary: also measure the load time under load")
    parser.add_argument("--load-json", help="where to write the load-time figures as JSON (with --load-bench)")
    args = parser.parse_args()
    # The whole suite's budget: a hung browser must not hold CI.
    signal.signal(signal.SIGALRM, lambda *_: sys.exit("the browser suite exceeded its time budget"))
    signal.alarm(BUDGET_SECONDS)
    started = time.monotonic()
    home = trust(args.ca)
    driver = browser(home)
    console = Console(driver, args.nodes.split(","), args.token, args.screenshots)
    try:
        console.sign_in(args.token)
        console.connection()
        ids = console.cluster()
        console.dag(ids)
        console.crypto()
        console.vault()
        console.authz()
        console.transactions()
        console.another_node()
        console.viewer()
        if args.load_bench:
            figures = console.load_time(args.load_bench, args.ca)
            if args.load_json:
                with open(args.load_json, "w", encoding="utf-8") as f:
                    json.dump(figures, f)
    except Exception:
        # Next to the others would put it among the committed screenshots.
        failure = os.path.join(tempfile.gettempdir(), "cretoai-console-failure.png")
        driver.save_screenshot(failure)
        print("screenshot of the failure:", failure, file=sys.stderr)
        logs = driver.get_log("browser") if hasattr(driver, "get_log") else []
        for entry in logs:
            print("browser console:", entry, file=sys.stderr)
        raise
    finally:
        driver.quit()
        shutil.rmtree(home, ignore_errors=True)
    for path in console.saved:
        print("screenshot:", path)
    print(f"browser suite passed in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
