// Cluster panel: every node as the serving node knows it (its peers report to it over QUIC),
// and their last 15 minutes, kept by the nodes themselves so the charts are full on open.
"use strict";

const Cluster = (() => {
  const POLL_MS = 1000;
  const SPAN_MS = 15 * 60 * 1000;
  const RESYNC_MS = 30 * 1000;
  const history = new Map(); // node id -> [{t_ms, accepted_tps, p50_ms, ...}]
  let order = [];
  let timer = null;
  let lastSync = 0;
  let now = Date.now();

  function mib(bytes) { return bytes === null || bytes === undefined ? null : bytes / 1048576; }

  async function sync() {
    const res = await apiOk("GET", API.clusterHistory);
    for (const n of res.data.nodes) history.set(n.node_id, n.samples);
    lastSync = Date.now();
  }

  function append(id, s) {
    const samples = history.get(id) || [];
    if (!samples.length || samples[samples.length - 1].t_ms < s.at_ms) {
      samples.push({ t_ms: s.at_ms, accepted_tps: s.accepted_tps, p50_ms: s.p50_ms, p95_ms: s.p95_ms,
        p99_ms: s.p99_ms, rss_bytes: s.rss_bytes, cpu_percent: s.cpu_percent });
    }
    while (samples.length && samples[0].t_ms < s.at_ms - SPAN_MS) samples.shift();
    history.set(id, samples);
  }

  async function poll() {
    if (!token) return;
    try {
      if (Date.now() - lastSync > RESYNC_MS) await sync();
      const res = await apiOk("GET", API.clusterStatus);
      render(res.data);
    } catch (e) {
      $("cluster-note").textContent = "(" + e.message + ")";
    }
    if (token) timer = setTimeout(poll, POLL_MS);
  }

  function lastSeen(n, nowMs) {
    if (n.this_node) return "serving this page";
    if (n.last_seen_ms === null || n.last_seen_ms === undefined) return "never heard from";
    return `last seen ${number((nowMs - n.last_seen_ms) / 1000, 1)} s ago`;
  }

  function peersCell(s) {
    if (!s || !s.peers.length) return "—";
    return el("div", { class: "peers" }, ...s.peers.map((p) => {
      const group = p.key_exchange_group;
      return el("div", {}, idCell(p.node_id), " ",
        p.connected ? `${number(p.rtt_ms, 1)} ms ` : el("span", { class: "badge bad" }, "down"), " ",
        group ? el("span", { class: group === PQ_GROUP ? "badge pq" : "badge warn", title: group === PQ_GROUP ? "hybrid post-quantum key exchange" : "not post-quantum" }, group) : "");
    }));
  }

  function render(c) {
    now = c.now_ms;
    $("node-id").textContent = c.reported_by;
    order = c.nodes.map((n) => n.node_id);
    const up = c.nodes.filter((n) => n.up).length;
    $("cluster-note").textContent = `${up} of ${c.nodes.length} up, as node ${short(c.reported_by)} sees it`;
    $("cluster-nodes").replaceChildren(...c.nodes.map((n, i) => {
      const s = n.summary;
      if (s && n.up) append(n.node_id, s);
      const f = s ? `${ms(s.p50_ms)} / ${ms(s.p95_ms)} / ${ms(s.p99_ms)}` : "—";
      return el("tr", { class: n.up ? "node up" : "node down", "data-node": n.node_id },
        el("td", {}, el("i", { class: "swatch c" + (i % 6) }), el("code", { class: "node-id", title: n.node_id }, n.node_id.slice(0, 16)),
          n.this_node ? el("span", { class: "badge" }, "this node") : ""),
        el("td", {}, el("span", { class: n.up ? "dot up" : "dot" }), n.up ? (s && s.active ? "up, consensus active" : "up") : "down",
          el("div", { class: "muted small" }, lastSeen(n, c.now_ms))),
        el("td", { class: "num" }, s ? number(s.round) : "—"),
        el("td", { class: "num" }, s ? number(s.accepted) : "—"),
        el("td", { class: "num" }, s ? number(s.pending) : "—"),
        el("td", { class: "num" }, s ? number(s.accepted_tps, 1) : "—"),
        el("td", { class: "num" }, f),
        el("td", { class: "num" }, s ? number(mib(s.rss_bytes), 1) : "—"),
        el("td", { class: "num" }, s ? number(s.cpu_percent, 1) : "—"),
        el("td", {}, peersCell(s)));
    }));
    draw();
    // The first moment every node is listed with its figures and the charts hold their
    // history: what the load-time measurement waits for.
    if (!document.documentElement.dataset.renderedMs && lastSync && c.nodes.every((n) => n.summary)) {
      document.documentElement.dataset.renderedMs = Math.round(performance.now());
    }
  }

  function series(key, transform, dashed) {
    return order.map((id, i) => ({
      color: nodeColor(i), dashed,
      points: (history.get(id) || []).map((s) => ({ t: s.t_ms, v: transform ? transform(s[key]) : s[key] })),
    }));
  }

  // The charts span the history the nodes hold: from one minute (a fresh cluster) up to 15.
  function span() {
    let oldest = now;
    for (const samples of history.values()) if (samples.length) oldest = Math.min(oldest, samples[0].t_ms);
    const minutes = Math.ceil((now - oldest) / 60000);
    return Math.min(SPAN_MS, Math.max(1, minutes) * 60000);
  }

  function draw() {
    if ($("panel-cluster").hidden) return;
    const spanMs = span();
    for (const node of document.querySelectorAll(".span")) node.textContent = `last ${spanMs / 60000} min`;
    drawLines($("chart-tps"), series("accepted_tps"), now, spanMs);
    drawLines($("chart-finality"), [...series("p50_ms"), ...series("p99_ms", null, true)], now, spanMs);
    drawLines($("chart-rss"), series("rss_bytes", mib), now, spanMs);
    drawLines($("chart-cpu"), series("cpu_percent"), now, spanMs);
  }

  return {
    start() { lastSync = 0; clearTimeout(timer); poll(); },
    stop() { clearTimeout(timer); },
    show(name) { if (name === "cluster") draw(); },
  };
})();
panels.push(Cluster);
