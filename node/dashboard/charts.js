// Line charts on canvas: one line per node over a time window, drawn from API figures only.
"use strict";

// Node colours, in node-id order (CSS variables --n0..--n5).
const nodeColor = (i) => `--n${i % 6}`;

function cssColor(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function niceCeiling(v) {
  if (v <= 0) return 1;
  const step = Math.pow(10, Math.floor(Math.log10(v)));
  for (const k of [1, 2, 2.5, 5, 10]) if (k * step >= v) return k * step;
  return 10 * step;
}

// A cleared 2D context sized to the canvas's CSS box at the screen's pixel density (sharp on
// high-DPI screens), or null while the canvas is hidden.
function sharpContext(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  if (!width || !height) return null;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, width, height);
  return { g, width, height };
}

// series: [{points: [{t, v}], color, dashed}]; spanMs: the window ending at `now`.
function drawLines(canvas, series, now, spanMs) {
  const area = sharpContext(canvas);
  if (!area) return;
  const { g, width, height } = area;
  const pad = { left: 52, right: 8, top: 8, bottom: 20 };
  const w = width - pad.left - pad.right, h = height - pad.top - pad.bottom;
  let max = 0;
  for (const s of series) for (const p of s.points) if (p.v !== null && p.v !== undefined && p.t >= now - spanMs) max = Math.max(max, p.v);
  max = niceCeiling(max);
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = cssColor("--muted");
  g.strokeStyle = cssColor("--line");
  g.lineWidth = 1;
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (let i = 0; i <= 4; i++) {
    const y = pad.top + h - (h * i) / 4;
    g.beginPath(); g.moveTo(pad.left, y); g.lineTo(pad.left + w, y); g.stroke();
    g.fillText(number((max * i) / 4, max < 10 ? 2 : max < 100 ? 1 : 0), pad.left - 6, y);
  }
  g.textBaseline = "top";
  // Ticks every 15 s up to two minutes, then every minute, then every five.
  const tick = spanMs <= 120000 ? 15000 : spanMs <= 300000 ? 60000 : 300000;
  for (let t = 0; t <= spanMs; t += tick) {
    const x = pad.left + w - (w * t) / spanMs;
    g.textAlign = t === 0 ? "right" : "center";
    g.fillText(t === 0 ? "now" : tick < 60000 ? `-${t / 1000} s` : `-${t / 60000} min`, x, pad.top + h + 5);
  }
  const x = (t) => pad.left + w - ((now - t) / spanMs) * w;
  const y = (v) => pad.top + h - (v / max) * h;
  for (const s of series) {
    g.strokeStyle = cssColor(s.color);
    g.lineWidth = 1.75;
    g.setLineDash(s.dashed ? [5, 4] : []);
    g.beginPath();
    let drawing = false, last = null;
    for (const p of s.points) {
      // A gap of more than 3 s is a node that was down: the line breaks there.
      const gap = last !== null && p.t - last > 3000;
      if (p.v === null || p.v === undefined || p.t < now - spanMs || gap) drawing = false;
      if (p.v === null || p.v === undefined || p.t < now - spanMs) { last = p.t; continue; }
      if (drawing) g.lineTo(x(p.t), y(p.v)); else g.moveTo(x(p.t), y(p.v));
      drawing = true;
      last = p.t;
    }
    g.stroke();
  }
  g.setLineDash([]);
}
