// AuthZ panel: the sidecar's decisions, through this node's relay. Sample checks of the bundled
// policies, the decoded decision token, every algorithm's cost on the same decision, the mode
// switch classical -> hybrid -> pqc, and the decision's anchoring transaction in consensus.
"use strict";

const Authz = (() => {
  // Requests the bundled policies decide (authz-sidecar/policies).
  const SAMPLES = {
    payment: {
      principal: { id: "agent-7", roles: ["payments-agent"], attributes: { transfer_limit: 5000, currency: "EUR" } },
      resource: { kind: "Payment", id: "p-42", attributes: { amount: 120, currency: "EUR", destination_country: "DE" } },
      action: "payments:initiate", context: {},
    },
    sanctioned: {
      principal: { id: "agent-7", roles: ["payments-agent"], attributes: { transfer_limit: 5000, currency: "EUR" } },
      resource: { kind: "Payment", id: "p-43", attributes: { amount: 120, currency: "EUR", destination_country: "KP" } },
      action: "payments:initiate", context: {},
    },
    clinical: {
      principal: { id: "scribe", roles: ["oncology-agent"], attributes: { assigned_patients: ["pt-1"] } },
      resource: { kind: "MedicalRecord", id: "r-9", attributes: { patient_id: "pt-2", category: "labs" } },
      action: "records:read", context: { break_glass: true, justification: "ER admission" },
    },
  };
  let classicalToken = null;
  let anchorTimer = null;

  function decodePart(part) {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((part.length + 3) % 4);
    return JSON.parse(new TextDecoder().decode(base64ToBytes(b64)));
  }

  async function refreshMode() {
    const res = await api("GET", API.authzMode);
    if (res.status !== 200) {
      $("authz-mode").textContent = "unavailable";
      $("authz-accepts").textContent = new ApiError(res.status, res.data).message;
      return;
    }
    $("authz-mode").textContent = res.data.mode;
    $("authz-accepts").textContent = `signs ${res.data.signing_alg}; accepts ${res.data.accepts.join(", ")}`;
    for (const b of document.querySelectorAll("button.mode")) b.classList.toggle("active", b.dataset.mode === res.data.mode);
  }

  async function setMode(mode) {
    const res = await api("PUT", API.authzMode, null, { mode });
    if (res.status !== 200) showResult($("authz-result"), new ApiError(res.status, res.data).message, "bad");
    await refreshMode();
  }

  function showCompare(rows) {
    $("authz-compare").replaceChildren(...rows.map((c) => el("tr", { "data-alg": c.alg, class: c.alg.startsWith("ML-DSA") ? "pq" : "" },
      el("td", {}, c.alg), el("td", { class: "muted" }, c.backend), el("td", { class: "num" }, number(c.sign_us, 1)),
      el("td", { class: "num" }, number(c.verify_us, 1)), el("td", { class: "num" }, number(c.token_bytes)),
      el("td", { class: "num" }, number(c.signature_bytes)))));
  }

  async function check(name) {
    const res = await api("POST", API.authzCheck, null, Object.assign({ compare: true }, SAMPLES[name]));
    if (res.status !== 200) { showResult($("authz-result"), new ApiError(res.status, res.data).message, "bad"); return; }
    const d = res.data, sig = d.signature;
    const [header, claims] = d.decision_token.split(".").slice(0, 2).map(decodePart);
    showResult($("authz-result"), `${d.allowed ? "ALLOW" : "DENY"} by rule ${d.rule || "—"}, signed ${sig.alg} in ${sig.mode} mode`, d.allowed ? "good" : "warn", res.serverMs);
    const row = (k, v) => [el("dt", {}, k), el("dd", { "data-field": k }, v)];
    $("authz-decision").replaceChildren(...row("decision", d.effect), ...row("rule", d.rule || "—"), ...row("mode", sig.mode),
      ...row("algorithm", sig.alg), ...row("sign time", `${number(sig.sign_us, 1)} µs`), ...row("key id", short(sig.kid)));
    $("authz-token-size").textContent = `${number(d.decision_token.length)} bytes`;
    $("authz-header").textContent = JSON.stringify(header, null, 2);
    $("authz-claims").textContent = JSON.stringify(claims, null, 2);
    if (d.compare) showCompare(d.compare);
    if (sig.mode === "classical") { classicalToken = d.decision_token; $("authz-verify-classical").disabled = false; }
    followAnchor(d.sidecar || {});
  }

  // The decision's hash went into consensus as a transaction: show it until accepted.
  function followAnchor(meta) {
    clearTimeout(anchorTimer);
    const id = meta.anchor_tx_id;
    if (!id) { $("authz-anchor").textContent = meta.anchor_node ? `not anchored: ${meta.anchor_error || "no transaction id"}` : "anchoring is off"; return; }
    const poll = async (tries) => {
      const res = await api("GET", API.transaction, { id });
      const status = res.status === 200 ? res.data.status : "not yet known here";
      const inDag = Dag.accepted(id) ? ", seen decided in the live DAG" : "";
      showResult($("authz-anchor"), el("span", {}, "anchored as transaction ", idCell(id), `: ${status}${inDag}` +
        (res.status === 200 && res.data.vertex ? ` in vertex ${short(res.data.vertex)}` : "")), status === "accepted" ? "good anchored" : "warn");
      if (status !== "accepted" && tries > 0 && token) anchorTimer = setTimeout(() => poll(tries - 1), 1000);
    };
    poll(60).catch(() => {});
  }

  async function verifyClassical() {
    const res = await api("POST", API.authzVerify, null, { token: classicalToken });
    if (res.status === 200) showResult($("authz-result"), `classical token accepted (${res.data.alg}) in ${res.data.mode} mode`, "good accepted");
    else showResult($("authz-result"), `classical token refused: ${new ApiError(res.status, res.data).message}`, "bad refused");
  }

  async function liveCompare() {
    const res = await api("GET", API.authzCompare);
    if (res.status !== 200) return;
    showCompare(res.data.algorithms.map((a) => ({ alg: a.alg, backend: a.backend, sign_us: a.sign_us && a.sign_us.p50,
      verify_us: a.verify_us && a.verify_us.p50, token_bytes: a.token_bytes, signature_bytes: a.signature_bytes })));
  }

  return {
    init() {
      for (const b of document.querySelectorAll("button.mode")) b.addEventListener("click", () => setMode(b.dataset.mode).catch(() => {}));
      for (const b of document.querySelectorAll("button.sample")) b.addEventListener("click", () => check(b.dataset.sample).catch((e) => showResult($("authz-result"), e.message, "bad")));
      $("authz-verify-classical").addEventListener("click", () => verifyClassical().catch(() => {}));
    },
    start() { refreshMode().catch(() => {}); liveCompare().catch(() => {}); },
    stop() { clearTimeout(anchorTimer); },
    show(name) { if (name === "authz") refreshMode().catch(() => {}); },
  };
})();
panels.push(Authz);
