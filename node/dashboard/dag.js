// DAG panel: vertices from the event stream, one lane per author, rounds left to right, edges
// to parents. Each node counts its own rounds, and under load they drift apart by more than a
// screen, so every lane is aligned at its author's newest vertex (a lane's position is its round
// plus how far its author is behind the newest round of all). A vertex is accepted once every transaction it carries is decided; an empty one
// once its parents are (as the consensus core settles it). The newest vertices stored before
// the page opened are drawn too, in grey: the stream did not tell this page their outcome.
// Only a bounded window is kept and it is redrawn at most a few times a second, so a cluster
// running flat out cannot stall the page.
"use strict";

const Dag = (() => {
  const KEEP_ROUNDS = 240;      // rounds kept for scrolling back
  const MAX_VERTICES = 3000;    // hard bound on what the page holds
  const MAX_DECIDED = 200000;   // decided transaction ids remembered
  const COL = 36, LEFT = 120, TOP = 10, REDRAW_MS = 250;
  const BACKFILL = 300;         // stored vertices drawn when the page opens
  const vertices = new Map();
  const decided = new Set();
  const decidedOrder = [];
  let maxRound = 0;
  const newest = new Map();     // author -> its newest round
  let paused = false;
  let right = null;             // round at the right edge when paused or scrolled back
  let dirty = false;
  let lagged = 0;
  let timer = null;
  let layout = [];              // [{v, x, y, r}] of the last drawing, for clicks
  let selected = null;

  function ingest(e) {
    if (e.type === "vertex") {
      vertices.set(e.id, { id: e.id, author: e.author, round: e.round, parents: e.parents || [],
        txIds: e.tx_ids || [], txs: e.txs, sig: e.signature_algorithm });
      seen(e.author, e.round);
      evict();
    } else if (e.type === "accepted" || e.type === "rejected") {
      for (const id of e.tx_ids) { decided.add(id); decidedOrder.push(id); }
      // Forgotten in chunks: one shift per id would copy the whole list each time.
      if (decidedOrder.length > MAX_DECIDED + 20000) {
        for (const id of decidedOrder.splice(0, decidedOrder.length - MAX_DECIDED)) decided.delete(id);
      }
    } else if (e.type === "lagged") {
      lagged += e.missed;
    } else {
      return;
    }
    dirty = true;
  }

  function seen(author, round) {
    newest.set(author, Math.max(newest.get(author) ?? round, round));
    maxRound = Math.max(maxRound, round);
  }

  // The vertex's column: its round, with its author's lane aligned at the newest round of all.
  const at = (v) => v.round + maxRound - (newest.get(v.author) ?? v.round);

  function evict() {
    if (vertices.size <= MAX_VERTICES && ![...vertices.values()].some((v) => at(v) < maxRound - KEEP_ROUNDS)) return;
    const sorted = [...vertices.values()].sort((a, b) => at(a) - at(b));
    let drop = Math.max(0, sorted.length - MAX_VERTICES);
    for (const v of sorted) {
      if (drop <= 0 && at(v) >= maxRound - KEEP_ROUNDS) break;
      vertices.delete(v.id);
      drop--;
    }
  }

  // The newest stored vertices, so that an idle cluster's DAG is not blank.
  async function backfill() {
    const status = await apiOk("GET", API.status);
    const after = Math.max(0, status.data.vertices - BACKFILL);
    const page = await apiOk("GET", API.vertices, null, undefined, { after, limit: BACKFILL });
    for (const v of page.data.vertices) {
      if (vertices.has(v.id)) continue;
      vertices.set(v.id, { id: v.id, author: v.author, round: v.round, parents: v.parents, txIds: [],
        txs: v.transactions.length, sig: v.signature_algorithm, history: true });
      seen(v.author, v.round);
    }
    evict();
    dirty = true;
  }

  function states() {
    const memo = new Map();
    const accepted = (v, depth) => {
      if (memo.has(v.id)) return memo.get(v.id);
      // Drawn from the store: its outcome is not known here; it holds up nothing either.
      if (v.history) { memo.set(v.id, null); return null; }
      let ok = v.txIds.every((id) => decided.has(id));
      if (ok && v.txIds.length === 0 && depth < 400) {
        ok = v.parents.every((p) => !vertices.has(p) || accepted(vertices.get(p), depth + 1) !== false);
      }
      memo.set(v.id, ok);
      return ok;
    };
    for (const v of [...vertices.values()].sort((a, b) => a.round - b.round)) accepted(v, 0);
    return memo;
  }

  function draw() {
    dirty = false;
    const canvas = $("dag-canvas");
    const area = sharpContext(canvas);
    if (!area) return;
    const { g, width, height } = area;
    const authors = [...new Set([...vertices.values()].map((v) => v.author))].sort();
    const accepted = states();
    const columns = Math.max(1, Math.floor((width - LEFT) / COL));
    const rightRound = right === null ? maxRound : right;
    const leftRound = rightRound - columns + 1;
    const laneH = authors.length ? (height - TOP * 2) / authors.length : 0;
    const pos = (v) => ({ x: LEFT + (at(v) - leftRound) * COL + COL / 2, y: TOP + authors.indexOf(v.author) * laneH + laneH / 2 });
    g.font = "11px system-ui, sans-serif";
    g.textBaseline = "middle";
    authors.forEach((a, i) => {
      g.fillStyle = cssColor(nodeColor(i));
      g.fillText(a.slice(0, 12) + "…", 8, TOP + i * laneH + laneH / 2);
      g.strokeStyle = cssColor("--line");
      g.beginPath(); g.moveTo(LEFT, TOP + (i + 1) * laneH); g.lineTo(width, TOP + (i + 1) * laneH); g.stroke();
    });
    const visible = [...vertices.values()].filter((v) => at(v) >= leftRound - 1 && at(v) <= rightRound);
    // Edges to parents scrolled out of view end at the lane labels, not over them.
    g.save();
    g.beginPath(); g.rect(LEFT, 0, width - LEFT, height); g.clip();
    g.strokeStyle = cssColor("--muted");
    g.globalAlpha = visible.length > 100 ? 0.15 : 0.35;
    g.lineWidth = 1;
    for (const v of visible) {
      const a = pos(v);
      for (const p of v.parents) {
        const parent = vertices.get(p);
        if (!parent) continue;
        const b = pos(parent);
        g.beginPath(); g.moveTo(a.x, a.y); g.lineTo(b.x, b.y); g.stroke();
      }
    }
    g.globalAlpha = 1;
    layout = [];
    for (const v of visible) {
      if (at(v) < leftRound) continue;
      const { x, y } = pos(v);
      const r = 6 + Math.min(7, Math.log2(1 + v.txs));
      const state = accepted.get(v.id);
      g.fillStyle = cssColor(state === null ? "--muted" : state ? "--good" : "--warn");
      g.beginPath(); g.arc(x, y, r, 0, 2 * Math.PI); g.fill();
      if (selected === v.id) { g.strokeStyle = cssColor("--text"); g.lineWidth = 2; g.stroke(); g.lineWidth = 1; }
      if (v.txs) { g.fillStyle = "#fff"; g.textAlign = "center"; g.fillText(String(v.txs), x, y); g.textAlign = "left"; }
      layout.push({ v, x, y, r });
    }
    g.restore();
    const back = maxRound - rightRound;
    $("dag-info").textContent = `${number(vertices.size)} vertices kept (each node's last ${KEEP_ROUNDS} rounds); showing ${number(columns)} rounds per node, ` +
      (back ? `${number(back)} rounds back` : "the newest") + " (lanes aligned at each node's newest round)" +
      (paused ? " · paused" : "") + (lagged ? ` · ${number(lagged)} events skipped while this tab fell behind` : "");
    $("dag-lanes").replaceChildren(...authors.map((a, i) => {
      const mine = [...vertices.values()].filter((v) => v.author === a);
      const ok = mine.filter((v) => accepted.get(v.id) === true).length;
      const before = mine.filter((v) => v.history).length;
      return el("tr", { "data-author": a }, el("td", {}, el("i", { class: "swatch c" + (i % 6) }), el("code", { title: a }, a.slice(0, 16))),
        el("td", { class: "num" }, number(mine.length)), el("td", { class: "num accepted" }, number(ok)),
        el("td", { class: "num" }, number(mine.length - ok - before)), el("td", { class: "num" }, number(before)),
        el("td", { class: "num" }, number(Math.max(...mine.map((v) => v.round)))));
    }));
    if (selected && vertices.has(selected)) detail(vertices.get(selected), accepted.get(selected));
  }

  function detail(v, state) {
    const dl = $("dag-detail");
    const row = (k, ...value) => [el("dt", {}, k), el("dd", {}, ...value)];
    dl.replaceChildren(
      ...row("vertex", el("code", {}, v.id)), ...row("author", el("code", {}, v.author)), ...row("round", number(v.round)),
      ...row("state", state === null ? "stored before this page opened" : state ? "accepted" : "pending"), ...row("transactions", number(v.txs)), ...row("signature", v.sig || "—"),
      ...row("parents", ...(v.parents.length ? v.parents.flatMap((p) => [idCell(p), " "]) : ["none"])));
    dl.hidden = false;
  }

  function click(e) {
    const box = $("dag-canvas").getBoundingClientRect();
    const x = e.clientX - box.left, y = e.clientY - box.top;
    const hit = layout.find((h) => (h.x - x) ** 2 + (h.y - y) ** 2 <= (h.r + 3) ** 2);
    selected = hit ? hit.v.id : null;
    if (!hit) $("dag-detail").hidden = true;
    draw();
  }

  function scroll(by) {
    const columns = Math.max(1, Math.floor(($("dag-canvas").clientWidth - LEFT) / COL));
    const oldest = Math.max(0, maxRound - KEEP_ROUNDS) + columns - 1;
    const next = Math.max(oldest, Math.min(maxRound, (right === null ? maxRound : right) + by * Math.floor(columns / 2)));
    right = next >= maxRound && !paused ? null : next;
    draw();
  }

  return {
    init() {
      $("dag-canvas").addEventListener("click", click);
      $("dag-pause").addEventListener("click", () => {
        paused = !paused;
        $("dag-pause").textContent = paused ? "Resume" : "Pause";
        right = paused ? (right === null ? maxRound : right) : null;
        draw();
      });
      $("dag-older").addEventListener("click", () => scroll(-1));
      $("dag-newer").addEventListener("click", () => scroll(1));
    },
    start() {
      backfill().catch(() => {});
      clearInterval(timer);
      timer = setInterval(() => { if (dirty && !$("panel-dag").hidden) draw(); }, REDRAW_MS);
    },
    stop() { clearInterval(timer); },
    onEvent: ingest,
    show(name) { if (name === "dag") draw(); },
    accepted: (txId) => decided.has(txId),
  };
})();
panels.push(Dag);
