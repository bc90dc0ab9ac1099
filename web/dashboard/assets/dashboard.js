// Polls /metrics (every 2 s) and /metrics/history (every 15 s) and renders them; charts by uPlot
// (vendored under assets/vendor/uplot). Served with a Content-Security-Policy: no inline script.
"use strict";
const ALERT_RATE = 0.40;
const STAGES = {
  voice_to_voice: "Caller wait (end of speech → first reply audio)",
  endpointing: "End-of-speech detection",
  stt: "Speech to text",
  recognizer: "Understanding",
  crm: "Customer data",
  retrieval: "Document search",
  llm: "Language model",
  turn: "Bot turn",
  tts: "Speech synthesis (first audio)",
};
const $ = (id) => document.getElementById(id);
const view = { range: "hour", stage: "voice_to_voice", history: null, charts: {}, lastOk: null, failing: false };

function cell(text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }
function fmt(v) { return (v === undefined || v === null || Number.isNaN(v)) ? "–" : Number(v).toFixed(0); }
function pct(rate) { return (rate * 100).toFixed(1) + " %"; }
function row(...cells) { const tr = document.createElement("tr"); tr.append(...cells); return tr; }

function renderNow(snap) {
  const s = snap.summary || {};
  $("calls").textContent = s.calls_in_progress ?? 0;
  const rate = s.escalation_rate ?? 0;
  const esc = $("escalation");
  esc.textContent = pct(rate);
  esc.className = "big" + (rate > ALERT_RATE ? " alert" : "");
  const counts = s.escalation_counts || { escalated: 0, ended: 0 };
  $("escalation-counts").textContent =
    `${counts.escalated} of ${counts.ended} ended call${counts.ended === 1 ? "" : "s"} handed to an agent`;
  $("escalation-note").textContent = rate > ALERT_RATE ? "Above the 40 % alert threshold" : "";
  $("window").textContent = Math.round((s.escalation_window_seconds || 3600) / 60) + " min";
  const lat = s.latency_ms || {};
  const wait = lat.voice_to_voice || {};
  $("wait-p50").textContent = fmt(wait.p50);
  $("wait-p95").textContent = fmt(wait.p95);
  $("wait-n").textContent = wait.count || 0;
  const body = document.querySelector("#latency tbody"); body.replaceChildren();
  for (const [stage, h] of Object.entries(lat)) {
    body.append(row(cell(STAGES[stage] || stage), cell(h.count || 0, "num"), cell(fmt(h.p50), "num"),
      cell(fmt(h.p95), "num"), cell(fmt(h.p99), "num")));
  }
  const intents = Object.entries(s.intents || {}).sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...intents.map(([, n]) => n));
  const rows = document.querySelector("#intents tbody"); rows.replaceChildren();
  for (const [name, n] of intents) {
    const bar = document.createElement("div");
    bar.className = "bar"; bar.style.width = (100 * n / max) + "%";
    const barCell = document.createElement("td"); barCell.append(bar);
    rows.append(row(cell(name), cell(n, "num"), barCell));
  }
}

function renderTable(id, rows) {
  const body = document.querySelector(`#${id} tbody`); body.replaceChildren();
  if (!rows.length) { body.append(row(cell("None in this range"), cell("", "num"))); return; }
  for (const r of rows) body.append(row(cell(r.label), cell(r.calls, "num")));
}

function chartWidth(el) { return Math.max(200, el.parentElement.clientWidth); }

function plot(key, el, series, data) {
  const old = view.charts[key];
  if (old && old.series.length === series.length + 1) { old.setData(data); return; }
  if (old) old.destroy();
  view.charts[key] = new uPlot({
    width: chartWidth(el), height: 160, scales: { x: { time: true } },
    series: [{}, ...series], axes: [{ stroke: "#333" }, { stroke: "#333", size: 48 }], legend: { show: true },
  }, data, el);
}

function renderHistory() {
  const h = view.history;
  if (!h || typeof uPlot === "undefined") return;
  const xs = h.series.map((b) => b.t);
  const t = h.totals;
  const ended = Object.values(t.ended).reduce((a, b) => a + b, 0);
  const calls = (n) => `${n} call${n === 1 ? "" : "s"}`;
  $("history-totals").textContent = `${calls(t.calls)} started, ${ended} ended, ${t.escalated} of ${t.counted} ended call${t.counted === 1 ? "" : "s"} handed to an agent (${pct(t.escalation_rate)}).`;
  plot("calls", $("chart-calls"), [{ label: "Calls", stroke: "#0b3d91", fill: "rgba(11,61,145,.12)" }],
    [xs, h.series.map((b) => b.calls)]);
  const dots = { show: true, size: 6 };  // a lone bucket has no line to draw: show it as a point
  plot("escalation", $("chart-escalation"), [{ label: "Escalation %", stroke: "#b00020", points: dots }],
    [xs, h.series.map((b) => (b.escalation_rate === null ? null : b.escalation_rate * 100))]);
  const stages = Object.keys(STAGES).filter((s) => t.latency[s]);
  const select = $("stage");
  if (select.dataset.stages !== stages.join()) {
    select.replaceChildren(...(stages.length ? stages : [view.stage]).map((s) => {
      const o = document.createElement("option"); o.value = s; o.textContent = STAGES[s] || s; return o;
    }));
    select.dataset.stages = stages.join();
    select.value = stages.includes(view.stage) ? view.stage : (stages[0] || view.stage);
  }
  const stage = select.value;
  plot("latency", $("chart-latency"), [
    { label: "p50", stroke: "#0b3d91", points: dots }, { label: "p95", stroke: "#8a4b00", dash: [6, 4], points: dots },
  ], [xs, h.series.map((b) => (b.latency[stage] || {}).p50 ?? null),
    h.series.map((b) => (b.latency[stage] || {}).p95 ?? null)]);
  renderTable("reasons", t.handoffs_by_reason);
  renderTable("languages", t.handoffs_by_language);
}

function online() {
  view.lastOk = new Date();
  view.failing = false;
  $("stale").hidden = true;
  $("figures").classList.remove("stale");
  $("status").textContent = "Updated " + view.lastOk.toLocaleTimeString();
}

function offline(reason) {
  view.failing = true;
  const since = view.lastOk ? view.lastOk.toLocaleTimeString() : "the page opened";
  $("stale").textContent = reason === 401
    ? "Signed out: the figures below are out of date. Sign in again at /agent/login."
    : `Cannot reach the server. The figures below are from ${since} and out of date; retrying every 2 s.`;
  $("stale").hidden = false;
  $("figures").classList.add("stale");
  $("status").textContent = "Out of date";
}

async function getJson(url) {
  let r;
  try { r = await fetch(url, { cache: "no-store" }); } catch (e) { throw 0; }
  if (!r.ok) throw r.status;
  return r.json();
}

async function poll() {
  try { renderNow(await getJson("/metrics")); online(); } catch (status) { offline(status); }
}
async function pollHistory() {
  try { view.history = await getJson("/metrics/history?range=" + view.range); renderHistory(); } catch (status) { offline(status); }
}

document.querySelectorAll(".range button").forEach((b) => b.addEventListener("click", () => {
  view.range = b.dataset.range;
  document.querySelectorAll(".range button").forEach((o) => o.setAttribute("aria-pressed", String(o === b)));
  pollHistory();
}));
$("stage").addEventListener("change", () => { view.stage = $("stage").value; renderHistory(); });
window.addEventListener("resize", () => {
  for (const [key, chart] of Object.entries(view.charts)) {
    chart.setSize({ width: chartWidth($("chart-" + key)), height: 160 });
  }
});
poll(); pollHistory();
setInterval(poll, 2000); setInterval(pollHistory, 15000);
