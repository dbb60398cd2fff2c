// CretoAI node dashboard: every figure comes from this node's API.
// The token lives in sessionStorage only (gone when the tab closes) and is sent as a bearer
// header to the REST API and as the `cretoai.bearer.*` subprotocol to the event stream
// (browsers cannot set headers on a WebSocket). No external resources: a strict CSP applies.
"use strict";

// Every API path the page uses; a test checks each one against openapi/openapi.json.
const API = {
  status: "/v1/consensus/status",
  keys: "/v1/keys",
  key: "/v1/keys/{name}",
  submit: "/v1/consensus/transactions",
  transaction: "/v1/consensus/transactions/{id}",
  events: "/v1/events",
};
const TOKEN_KEY = "cretoai.dashboard.token";
const POLL_MS = 1000;
const HISTORY_MS = 5 * 60 * 1000;
const FEED_ROWS = 200;
const PQ_GROUP = "X25519MLKEM768";

const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem(TOKEN_KEY);
let pollTimer = null;
let socket = null;
let socketRetry = 500;
const history = [];
const mine = new Map(); // tx id -> {status, finality}
const counts = { transaction: 0, vertex: 0, accepted: 0, rejected: 0, equivocation: 0, lagged: 0 };
let feedQueue = [];

function path(template, params) {
  return template.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(params[name]));
}

function base64(text, urlSafe) {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  const encoded = btoa(binary);
  return urlSafe ? encoded.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "") : encoded;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "class") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const short = (hex) => (hex ? hex.slice(0, 12) + "…" : "—");
const idCell = (hex) => el("code", { title: hex }, short(hex));
const number = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString());
const ms = (n) => (n === null || n === undefined ? "—" : number(n));

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${status}`);
    this.status = status;
  }
}

async function api(method, template, params, body) {
  const headers = { Authorization: "Bearer " + token };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path(template, params || {}), {
    method, headers, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => null);
  if (res.status === 401) {
    signOut("This node refused the token (401 unauthorized).");
    throw new ApiError(res.status, data);
  }
  return { status: res.status, data };
}

// ---- session ----

function showLogin(message) {
  $("main").hidden = true;
  $("sign-out").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("token").focus();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  token = null;
  clearTimeout(pollTimer);
  if (socket) { socket.onclose = null; socket.close(); socket = null; }
  setBadge($("ws-state"), "closed", "");
  setBadge($("active"), "not connected", "");
  showLogin(message);
}

async function signIn(candidate) {
  token = candidate;
  const res = await api("GET", API.status);
  if (res.status !== 200) {
    const why = res.status === 403 ? "The token lacks the consensus:read scope (403)." : new ApiError(res.status, res.data).message;
    signOut(why);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $("login").hidden = true;
  $("main").hidden = false;
  $("sign-out").hidden = false;
  render(res.data);
  schedulePoll();
  connectEvents();
}

// ---- status polling ----

function schedulePoll() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, POLL_MS);
}

async function poll() {
  if (!token) return;
  try {
    const res = await api("GET", API.status);
    if (res.status === 200) render(res.data);
    else setBadge($("active"), new ApiError(res.status, res.data).message, "bad");
  } catch (e) {
    if (token) setBadge($("active"), "node unreachable", "bad");
  }
  if (token) schedulePoll();
}

function setBadge(node, text, kind) {
  node.textContent = text;
  node.className = "badge" + (kind ? " " + kind : "");
}

function render(s) {
  $("node-id").textContent = s.node_id;
  setBadge($("active"), s.active ? "consensus active" : "waiting for peer keys", s.active ? "good" : "warn");
  $("round").textContent = number(s.round);
  $("vertices").textContent = number(s.vertices);
  $("accepted").textContent = number(s.transactions.accepted);
  $("pending").textContent = number(s.transactions.pending);
  $("rejected").textContent = number(s.transactions.rejected);
  $("submissions").textContent = number(s.pending_submissions);
  $("overloaded").textContent = number(s.overloaded_requests);
  $("bound").textContent = `(at ${number(s.max_undecided)} pending)`;
  $("window").textContent = `(last ${s.window_seconds} s)`;
  $("tps").textContent = Number(s.accepted_tps).toLocaleString(undefined, { maximumFractionDigits: 1 });
  const f = s.finality;
  $("finality").textContent = `${ms(f.p50_ms)} / ${ms(f.p95_ms)} / ${ms(f.p99_ms)} ms`;
  $("samples").textContent = `(${number(f.samples)} samples)`;
  renderPeers(s.peers);
  const now = Date.now();
  history.push({ t: now, tps: s.accepted_tps, p50: f.p50_ms, p95: f.p95_ms, p99: f.p99_ms });
  while (history.length && history[0].t < now - HISTORY_MS) history.shift();
  drawChart($("chart-tps"), [{ key: "tps", color: "--s1", fill: true }], now);
  drawChart($("chart-finality"), [
    { key: "p50", color: "--s1" }, { key: "p95", color: "--s2" }, { key: "p99", color: "--s3" },
  ], now);
}

function renderPeers(peers) {
  $("no-peers").hidden = peers.length > 0;
  $("peers").replaceChildren(...peers.map((p) => {
    const group = p.key_exchange_group;
    const kx = group ? el("span", { class: group === PQ_GROUP ? "badge pq" : "badge warn", title: group === PQ_GROUP ? "hybrid post-quantum key exchange" : "not post-quantum" }, group) : "—";
    return el("tr", {},
      el("td", {}, idCell(p.node_id)),
      el("td", {}, el("code", {}, p.address)),
      el("td", {}, el("span", { class: p.connected ? "dot up" : "dot" }), p.connected ? "connected" : "down"),
      el("td", { class: "num" }, p.rtt_ms === null || p.rtt_ms === undefined ? "—" : p.rtt_ms.toFixed(1)),
      el("td", {}, kx),
      el("td", { class: "num" }, number(p.failed_attempts)));
  }));
}

// ---- charts (canvas, from the polled figures) ----

function drawChart(canvas, series, now) {
  const css = getComputedStyle(document.documentElement);
  const color = (name) => css.getPropertyValue(name).trim();
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  if (!width || !height) return;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, width, height);
  const pad = { left: 52, right: 8, top: 8, bottom: 20 };
  const w = width - pad.left - pad.right, h = height - pad.top - pad.bottom;
  let max = 0;
  for (const point of history) for (const s of series) if (point[s.key] !== null) max = Math.max(max, point[s.key]);
  max = niceCeiling(max);
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = color("--muted");
  g.strokeStyle = color("--line");
  g.lineWidth = 1;
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (let i = 0; i <= 4; i++) {
    const y = pad.top + h - (h * i) / 4;
    g.beginPath(); g.moveTo(pad.left, y); g.lineTo(pad.left + w, y); g.stroke();
    g.fillText(Number((max * i) / 4).toLocaleString(undefined, { maximumFractionDigits: max < 10 ? 2 : max < 100 ? 1 : 0 }), pad.left - 6, y);
  }
  g.textBaseline = "top";
  for (let m = 0; m <= 5; m++) {
    const x = pad.left + w - (w * m) / 5;
    g.textAlign = m === 0 ? "right" : "center";
    g.fillText(m === 0 ? "now" : `-${m} min`, x, pad.top + h + 5);
  }
  const x = (t) => pad.left + w - ((now - t) / HISTORY_MS) * w;
  const y = (v) => pad.top + h - (max ? (v / max) * h : 0);
  for (const s of series) {
    g.strokeStyle = color(s.color);
    g.lineWidth = 1.75;
    g.beginPath();
    let drawing = false, first = null, last = null;
    for (const point of history) {
      const v = point[s.key];
      if (v === null || v === undefined) { drawing = false; continue; }
      if (drawing) g.lineTo(x(point.t), y(v)); else g.moveTo(x(point.t), y(v));
      drawing = true;
      first = first || point; last = point;
    }
    g.stroke();
    if (s.fill && first && last) {
      g.lineTo(x(last.t), y(0)); g.lineTo(x(first.t), y(0)); g.closePath();
      g.globalAlpha = 0.12; g.fillStyle = color(s.color); g.fill(); g.globalAlpha = 1;
    }
  }
}

function niceCeiling(v) {
  if (v <= 0) return 1;
  const step = Math.pow(10, Math.floor(Math.log10(v)));
  for (const k of [1, 2, 2.5, 5, 10]) if (k * step >= v) return k * step;
  return 10 * step;
}

// ---- live events (WebSocket) ----

function connectEvents() {
  if (!token) return;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  setBadge($("ws-state"), "connecting", "warn");
  socket = new WebSocket(scheme + "//" + location.host + API.events, ["cretoai.v1", "cretoai.bearer." + base64(token, true)]);
  socket.onopen = () => { socketRetry = 500; setBadge($("ws-state"), "live", "good"); };
  socket.onmessage = (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch (e) { return; }
    onEvent(event);
  };
  socket.onclose = () => {
    socket = null;
    if (!token) return;
    setBadge($("ws-state"), "reconnecting", "bad");
    setTimeout(connectEvents, socketRetry);
    socketRetry = Math.min(socketRetry * 2, 10000);
  };
}

function onEvent(event) {
  if (event.type in counts) counts[event.type] += 1;
  let detail;
  let isMine = false;
  switch (event.type) {
    case "transaction":
      isMine = mine.has(event.tx_id);
      detail = [idCell(event.tx_id)];
      break;
    case "vertex":
      // Idle clusters keep issuing empty vertices; they are counted but listed only on request.
      if (event.txs === 0 && !$("show-empty").checked) { flushCounts(); return; }
      detail = [idCell(event.id), ` round ${number(event.round)} by `, idCell(event.author), ` · ${number(event.txs)} tx`];
      break;
    case "accepted":
    case "rejected":
      for (const id of event.tx_ids) {
        if (mine.has(id)) { isMine = true; refreshMine(id).catch(() => {}); }
      }
      detail = [`${number(event.tx_ids.length)} tx `, ...event.tx_ids.slice(0, 3).flatMap((id) => [idCell(id), " "]), event.tx_ids.length > 3 ? "…" : ""];
      break;
    case "equivocation":
      detail = [idCell(event.author), ` signed two vertices in round ${number(event.round)}`];
      break;
    case "lagged":
      detail = [`this tab fell behind: ${number(event.missed)} events skipped`];
      break;
    default:
      return;
  }
  feedQueue.push({ type: event.type, detail, isMine, at: new Date() });
  if (feedQueue.length === 1) requestAnimationFrame(flushFeed);
}

// Renders queued events once per frame, newest first, so bursts do not stall the page.
function flushFeed() {
  const feed = $("feed");
  const rows = feedQueue.slice(-FEED_ROWS).reverse().map((e) =>
    el("li", { class: e.isMine ? "mine" : "" },
      el("time", {}, e.at.toLocaleTimeString([], { hourCycle: "h23" })),
      el("span", { class: "kind " + e.type }, e.type),
      el("span", { class: "detail" }, ...e.detail)));
  feedQueue = [];
  feed.prepend(...rows);
  while (feed.children.length > FEED_ROWS) feed.lastChild.remove();
  flushCounts();
}

function flushCounts() {
  $("event-counts").textContent = Object.entries(counts).filter(([, n]) => n).map(([k, n]) => `${k} ${number(n)}`).join(" · ");
}

// ---- submitting ----

async function ensureKey(name) {
  const found = await api("GET", API.key, { name });
  if (found.status === 200) {
    if (!String(found.data.type).startsWith("ml-dsa")) throw new Error(`key "${name}" is ${found.data.type}, not an ML-DSA signing key`);
    return;
  }
  if (found.status !== 404) throw new ApiError(found.status, found.data);
  const created = await api("POST", API.keys, null, { name, type: "ml-dsa-65" });
  // 409: another tab created it in between, which is fine.
  if (created.status !== 201 && created.status !== 409) throw new ApiError(created.status, created.data);
}

async function submit(form) {
  const button = form.querySelector("button");
  button.disabled = true;
  $("submit-error").textContent = "";
  try {
    const key = $("key-name").value.trim();
    await ensureKey(key);
    const res = await api("POST", API.submit, null, { key, payload: base64($("payload").value, false) });
    if (res.status !== 202) throw new ApiError(res.status, res.data);
    mine.set(res.data.tx_id, { status: "submitted", finality: null });
    renderMine();
    setTimeout(() => refreshMine(res.data.tx_id).catch(() => {}), 1500);
  } catch (e) {
    $("submit-error").textContent = e.message;
  } finally {
    button.disabled = false;
  }
}

// Reads the decision from the API (the event only says that it happened), and keeps polling
// while pending in case this tab missed the event.
async function refreshMine(id) {
  const res = await api("GET", API.transaction, { id });
  if (res.status !== 200 || !mine.has(id)) return;
  mine.set(id, { status: res.data.status, finality: res.data.finality_ms });
  renderMine();
  if (res.data.status === "pending") setTimeout(() => refreshMine(id).catch(() => {}), 2000);
}

function renderMine() {
  const rows = [...mine.entries()].reverse().slice(0, 10).map(([id, t]) => {
    const kind = t.status === "accepted" ? "good" : t.status === "rejected" ? "bad" : "warn";
    return el("tr", {}, el("td", {}, idCell(id)), el("td", {}, el("span", { class: "badge " + kind }, t.status)), el("td", { class: "num" }, ms(t.finality)));
  });
  $("mine").replaceChildren(...rows);
}

// ---- wiring ----

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const value = $("token").value.trim();
    $("token").value = "";
    if (value) signIn(value).catch((err) => showLogin(err.message));
  });
  $("submit-form").addEventListener("submit", (e) => { e.preventDefault(); submit(e.target); });
  $("sign-out").addEventListener("click", () => signOut(""));
  if (token) signIn(token).catch((err) => showLogin(err.message));
  else showLogin("");
});
