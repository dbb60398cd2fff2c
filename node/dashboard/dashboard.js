// CretoAI console: the shared part (API table, requests, sign-in, tabs, the event stream).
// Every figure comes from the nodes' API. The token lives in sessionStorage only (gone when the
// tab closes); it arrives either pasted or in the URL fragment (`#token=...`, which browsers
// never send to a server) and is then removed from the address bar. It is sent as a bearer
// header to the REST API and as the `cretoai.bearer.*` subprotocol to the event stream
// (browsers cannot set headers on a WebSocket). No external resources: a strict CSP applies.
"use strict";

// Every API path the page uses; a test checks each one against openapi/openapi.json.
const API = {
  self: "/v1/auth/tokens/self",
  connection: "/v1/sys/connection",
  clusterStatus: "/v1/cluster/status",
  status: "/v1/consensus/status",
  vertices: "/v1/consensus/vertices",
  clusterHistory: "/v1/cluster/history",
  keys: "/v1/keys",
  key: "/v1/keys/{name}",
  encrypt: "/v1/encrypt",
  decrypt: "/v1/decrypt",
  sign: "/v1/sign",
  verify: "/v1/verify",
  submit: "/v1/consensus/transactions",
  transaction: "/v1/consensus/transactions/{id}",
  events: "/v1/events",
  secret: "/v1/vault/secrets/{path}",
  secretUndelete: "/v1/vault/secrets/{path}/undelete",
  secretDestroy: "/v1/vault/secrets/{path}/destroy",
  secretMetadata: "/v1/vault/metadata/{path}",
  audit: "/v1/audit",
  auditVerify: "/v1/audit/verify",
  authzMode: "/v1/authz/mode",
  authzCheck: "/v1/authz/check",
  authzVerify: "/v1/authz/verify",
  authzCompare: "/v1/authz/compare",
};
const TOKEN_KEY = "cretoai.dashboard.token";
const PQ_GROUP = "X25519MLKEM768";

const $ = (id) => document.getElementById(id);
let token = null;
let allowed = new Set();
let socket = null;
let socketRetry = 500;
// Each panel registers {start, stop, onEvent, show}; see the other scripts.
const panels = [];

// A vault path keeps its slashes; every other parameter is one URL segment.
function path(template, params) {
  return template.replace(/\{(\w+)\}/g, (_, name) => name === "path"
    ? String(params[name]).split("/").map(encodeURIComponent).join("/")
    : encodeURIComponent(params[name]));
}

function bytesToBase64(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function base64ToBytes(text) {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function base64(text, urlSafe) {
  const encoded = bytesToBase64(new TextEncoder().encode(text));
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
const number = (n, digits) => (n === null || n === undefined ? "—" : Number(n).toLocaleString(undefined, { maximumFractionDigits: digits || 0 }));
const ms = (n) => number(n);

function setBadge(node, text, kind) {
  node.textContent = text;
  node.className = "badge" + (kind ? " " + kind : "");
}

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error ? body.error.code : null;
  }
}

// One API call; answers {status, data, serverMs} (the node's own handling time, from its
// Server-Timing header). A 401 means the token is gone: back to the sign-in form.
async function api(method, template, params, body, query) {
  const headers = { Authorization: "Bearer " + token };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const search = query ? "?" + new URLSearchParams(query).toString() : "";
  const res = await fetch(path(template, params || {}) + search, {
    method, headers, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => null);
  const timing = /dur=([\d.]+)/.exec(res.headers.get("server-timing") || "");
  if (res.status === 401) {
    signOut("This node refused the token (401 unauthorized).");
    throw new ApiError(res.status, data);
  }
  return { status: res.status, data, serverMs: timing ? Number(timing[1]) : null };
}

// Calls and insists on a 2xx answer.
async function apiOk(method, template, params, body, query) {
  const res = await api(method, template, params, body, query);
  if (res.status < 200 || res.status > 299) throw new ApiError(res.status, res.data);
  return res;
}

const may = (operation) => allowed.has("admin") || allowed.has(operation);

// ---- session ----

// `#token=...` from a demo link: keep it for this tab and take it out of the address bar (and
// so out of the history and of anything copied from it).
function takeFragmentToken() {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  history.replaceState(null, "", location.pathname + location.search);
}

function showLogin(message) {
  $("main").hidden = true;
  $("sign-out").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("token").focus();
}

// Stops what runs for the current token (polls, the event stream), keeping the stored one.
function signOutQuietly() {
  token = null;
  for (const p of panels) if (p.stop) p.stop();
  if (socket) { socket.onclose = null; socket.close(); socket = null; }
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  token = null;
  for (const p of panels) if (p.stop) p.stop();
  if (socket) { socket.onclose = null; socket.close(); socket = null; }
  setBadge($("ws-state"), "events closed", "");
  showLogin(message);
}

async function signIn(candidate) {
  token = candidate;
  const res = await api("GET", API.self);
  if (res.status !== 200) { signOut(new ApiError(res.status, res.data).message); return; }
  allowed = new Set(res.data.allowed);
  if (!may("consensus:read")) { signOut("The token lacks the consensus:read scope (a viewer token has it)."); return; }
  sessionStorage.setItem(TOKEN_KEY, token);
  setBadge($("token-scopes"), "token: " + res.data.scopes.join(", "), may("consensus:submit") ? "" : "warn");
  // Controls the token may not use are not shown at all; the API refuses them anyway.
  for (const node of document.querySelectorAll("[data-needs]")) node.hidden = !may(node.dataset.needs);
  $("login").hidden = true;
  $("main").hidden = false;
  $("sign-out").hidden = false;
  for (const p of panels) if (p.start) p.start();
  connectEvents();
  showConnection().catch(() => {});
}

// This browser's own connection: post-quantum (X25519MLKEM768) in green, a classical key
// exchange or plain HTTP in amber.
async function showConnection() {
  const res = await api("GET", API.connection);
  if (res.status !== 200) return;
  const c = res.data;
  if (c.transport !== "https") {
    setBadge($("connection"), "your connection to this node: plain HTTP (not encrypted)", "warn");
  } else if (c.post_quantum) {
    setBadge($("connection"), `your connection to this node: ${c.key_exchange_group} (post-quantum)`, "pq");
  } else {
    setBadge($("connection"), `your connection to this node: ${c.key_exchange_group} (classical)`, "warn");
  }
  $("connection").dataset.group = c.key_exchange_group || "";
}

function showPanel(name) {
  for (const button of $("tabs").querySelectorAll("button")) button.classList.toggle("active", button.dataset.panel === name);
  for (const section of document.querySelectorAll(".panel")) section.hidden = section.id !== "panel-" + name;
  for (const p of panels) if (p.show) p.show(name);
}

// ---- live events (WebSocket), handed to every panel ----

function connectEvents() {
  if (!token) return;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  setBadge($("ws-state"), "events connecting", "warn");
  socket = new WebSocket(scheme + "//" + location.host + API.events, ["cretoai.v1", "cretoai.bearer." + base64(token, true)]);
  socket.onopen = () => { socketRetry = 500; setBadge($("ws-state"), "events live", "good"); };
  socket.onmessage = (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch (e) { return; }
    for (const p of panels) if (p.onEvent) p.onEvent(event);
  };
  socket.onclose = () => {
    socket = null;
    if (!token) return;
    setBadge($("ws-state"), "events reconnecting", "bad");
    setTimeout(connectEvents, socketRetry);
    socketRetry = Math.min(socketRetry * 2, 10000);
  };
}

// A result line: text, good/bad styling, and the node's time for the request when known.
function showResult(node, text, kind, serverMs) {
  node.className = "result " + (kind || "");
  node.replaceChildren(text, serverMs === null || serverMs === undefined ? "" : el("span", { class: "muted" }, ` · ${number(serverMs, 2)} ms on the node`));
}

document.addEventListener("DOMContentLoaded", () => {
  takeFragmentToken();
  for (const p of panels) if (p.init) p.init();
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const value = $("token").value.trim();
    $("token").value = "";
    if (value) signIn(value).catch((err) => showLogin(err.message));
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  for (const button of $("tabs").querySelectorAll("button")) button.addEventListener("click", () => showPanel(button.dataset.panel));
  // A sign-in link opened in a tab that already shows the page changes only the fragment.
  window.addEventListener("hashchange", () => {
    if (!/^#token=/.test(location.hash)) return;
    takeFragmentToken();
    signOutQuietly();
    signIn(sessionStorage.getItem(TOKEN_KEY)).catch((err) => showLogin(err.message));
  });
  const stored = sessionStorage.getItem(TOKEN_KEY);
  if (stored) signIn(stored).catch((err) => showLogin(err.message));
  else showLogin("");
});
