// Transactions panel: submit a transaction signed by a key of this node, follow it to its
// decision, and the live event feed of this node.
"use strict";

const FEED_ROWS = 200;
const mine = new Map(); // tx id -> {status, finality}
const counts = { transaction: 0, vertex: 0, accepted: 0, rejected: 0, equivocation: 0, lagged: 0 };
let feedQueue = [];

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
  // A tab in the background gets no animation frames: keep only what the feed can show.
  if (feedQueue.length > FEED_ROWS) feedQueue.splice(0, feedQueue.length - FEED_ROWS);
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

panels.push({
  init() { $("submit-form").addEventListener("submit", (e) => { e.preventDefault(); submit(e.target); }); },
  onEvent,
});
