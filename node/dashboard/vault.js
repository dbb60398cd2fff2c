// Vault panel: versions of one secret, read, soft-delete, undelete, destroy, and the audit
// record each step left in the node's hash-chained log.
"use strict";

const Vault = (() => {
  let cursor = null; // the audit log's last seq before the first step here

  const secretPath = () => $("vault-path").value.trim();
  const version = () => Number($("vault-version").value);

  async function auditCursor() {
    if (cursor !== null || !may("admin")) return;
    const res = await apiOk("GET", API.auditVerify);
    cursor = res.data.records;
  }

  async function showAudit() {
    if (!may("admin")) return;
    $("vault-audit-note").hidden = true;
    let records = [];
    for (let after = cursor; after !== null && after !== undefined;) {
      const res = await apiOk("GET", API.audit, null, undefined, { after, limit: 1000 });
      records = records.concat(res.data.records).slice(-40);
      after = res.data.next_after;
    }
    // The panel's own refreshes of the version list are records too; they are shown dimmed.
    const rows = records.map((r) => el("tr", { class: r.operation === "vault.metadata.read" ? "dim" : r.outcome === "ok" ? "" : "warn" },
      el("td", { class: "num" }, number(r.seq)), el("td", {}, r.operation), el("td", {}, el("code", {}, r.target)),
      el("td", {}, r.outcome), el("td", {}, idCell(r.hash)), el("td", {}, idCell(r.prev_hash))));
    $("vault-audit").replaceChildren(...rows.reverse());
  }

  async function showVersions() {
    const res = await api("GET", API.secretMetadata, { path: secretPath() });
    if (res.status !== 200) { $("vault-versions").replaceChildren(); return; }
    $("vault-versions").replaceChildren(...res.data.versions.slice().reverse().map((v) =>
      el("tr", { "data-version": v.version }, el("td", { class: "num" }, number(v.version)), el("td", {}, v.state),
        el("td", {}, new Date(v.created_at * 1000).toLocaleTimeString([], { hourCycle: "h23" })))));
  }

  // Runs one step, then shows its outcome, the versions and the audit records since the start.
  async function step(run) {
    try {
      await auditCursor();
      const [text, res] = await run();
      showResult($("vault-result"), text, res.status < 300 ? "good" : "bad", res.serverMs);
    } catch (err) {
      showResult($("vault-result"), err.message, "bad");
    }
    await showVersions().catch(() => {});
    await showAudit().catch(() => {});
  }

  const outcome = (res, ok) => (res.status < 300 ? ok : new ApiError(res.status, res.data).message);

  function write(e) {
    e.preventDefault();
    step(async () => {
      const res = await api("PUT", API.secret, { path: secretPath() }, { data: { api_key: $("vault-value").value } });
      if (res.status < 300) $("vault-version").value = res.data.version;
      return [outcome(res, `wrote version ${res.data && res.data.version}`), res];
    });
  }

  function read() {
    step(async () => {
      const res = await api("GET", API.secret, { path: secretPath() }, undefined, { version: version() });
      const ok = res.status < 300;
      return [ok ? `version ${res.data.version}: api_key = ${res.data.data.api_key}` : outcome(res), res];
    });
  }

  function change(method, template, body, ok) {
    step(async () => {
      const res = await api(method, template, { path: secretPath() }, body);
      return [outcome(res, ok), res];
    });
  }

  function verify() {
    step(async () => {
      const res = await api("GET", API.auditVerify);
      const r = res.data || {};
      return [outcome(res, r.valid ? `audit chain intact: ${number(r.records)} records, head ${short(r.head_hash)}` : `audit chain BROKEN at ${JSON.stringify(r.first_broken)}`), res];
    });
  }

  return {
    init() {
      $("vault-form").addEventListener("submit", write);
      $("vault-read").addEventListener("click", read);
      $("vault-delete").addEventListener("click", () => change("DELETE", API.secret, undefined, "newest version soft-deleted (undelete brings it back)"));
      $("vault-undelete").addEventListener("click", () => change("POST", API.secretUndelete, { versions: [version()] }, `version ${version()} undeleted`));
      $("vault-destroy").addEventListener("click", () => change("POST", API.secretDestroy, { versions: [version()] }, `version ${version()} destroyed for good`));
      $("vault-verify").addEventListener("click", verify);
    },
  };
})();
panels.push(Vault);
