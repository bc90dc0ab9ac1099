// Polls /metrics every 2 s and renders it (served with a Content-Security-Policy: no inline script).
"use strict";
const ALERT_RATE = 0.40;
function cell(text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }
function fmt(v) { return (v === undefined || Number.isNaN(v)) ? "–" : Number(v).toFixed(0); }
function render(snap) {
  const s = snap.summary || {};
  document.getElementById("calls").textContent = s.calls_in_progress ?? 0;
  const rate = s.escalation_rate ?? 0;
  const esc = document.getElementById("escalation");
  esc.textContent = (rate * 100).toFixed(1) + " %";
  esc.className = "big" + (rate > ALERT_RATE ? " alert" : "");
  document.getElementById("escalation-note").textContent = rate > ALERT_RATE ? "above the 40 % alert threshold" : "";
  document.getElementById("window").textContent = Math.round((s.escalation_window_seconds || 3600) / 60) + " min";
  const lat = document.querySelector("#latency tbody"); lat.replaceChildren();
  for (const [stage, h] of Object.entries(s.latency_ms || {})) {
    const tr = document.createElement("tr");
    tr.append(cell(stage), cell(h.count || 0, "num"), cell(fmt(h.p50), "num"), cell(fmt(h.p95), "num"), cell(fmt(h.p99), "num"));
    lat.append(tr);
  }
  const intents = Object.entries(s.intents || {}).sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...intents.map(([, n]) => n));
  const body = document.querySelector("#intents tbody"); body.replaceChildren();
  for (const [name, n] of intents) {
    const tr = document.createElement("tr"); const bar = document.createElement("div");
    bar.className = "bar"; bar.style.width = (100 * n / max) + "%";
    const barCell = document.createElement("td"); barCell.style.width = "50%"; barCell.append(bar);
    tr.append(cell(name), cell(n, "num"), barCell); body.append(tr);
  }
  document.getElementById("status").textContent = "updated " + new Date().toLocaleTimeString();
}
async function poll() {
  try {
    const r = await fetch("/metrics", { cache: "no-store" });
    if (!r.ok) throw new Error(r.status);
    render(await r.json());
  } catch (e) { document.getElementById("status").textContent = "metrics unavailable (" + e.message + ")"; }
}
poll(); setInterval(poll, 2000);
