// Agent console: renders the live queue from server-sent events. Text only (textContent), never HTML.
"use strict";

const queue = document.getElementById("queue");
const empty = document.getElementById("empty");
const ended = document.getElementById("ended");
const endedEmpty = document.getElementById("ended-empty");
const connection = document.getElementById("connection");
const template = document.getElementById("card-template");
const records = new Map();
const offline = document.getElementById("offline");
const agent = { user: "", serviceLevelSeconds: 20, clockOffsetMs: 0 };
let filter = "all";
const OPEN_STATES = ["waiting", "callback", "transfer_failed"];

function setText(root, selector, text) {
  root.querySelector(selector).textContent = text;
}

function fillList(list, items) {
  list.replaceChildren(...items.map((text) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  }));
}

// Every word on a card comes from the server's agent view (locales/, in the agent's language).
function fillFact(card, field, value) {
  const row = card.querySelector(`.fact[data-field="${field}"]`);
  const target = row.querySelector("dd > ul") || row.querySelector("dd");
  if (Array.isArray(value)) {
    fillList(target, value);
  } else {
    target.textContent = value || "";
  }
  row.hidden = Array.isArray(value) ? value.length === 0 : !value;
}

function fillTranscript(list, lines) {
  // The words in the agent's language; the caller's own words below when they differ.
  list.replaceChildren(...lines.map((line) => {
    const li = document.createElement("li");
    li.textContent = `${line.speaker}: ${line.text}`;
    if (line.original) {
      const original = document.createElement("span");
      original.className = "original";
      original.textContent = line.original;
      li.append(original);
    }
    return li;
  }));
}

function render(record) {
  const view = record.view;
  let card = document.querySelector(`li.card[data-id="${CSS.escape(record.handoff_id)}"]`);
  if (!card) {
    card = template.content.firstElementChild.cloneNode(true);
    card.dataset.id = record.handoff_id;
    card.querySelector(".pickup").addEventListener("click", () => pickUp(record.handoff_id));
    card.querySelector(".wrap-up").addEventListener("submit", (event) => {
      event.preventDefault();
      wrapUp(record.handoff_id, new FormData(event.target));
    });
  }
  card.dataset.priority = record.priority;
  card.dataset.status = view.state;
  setText(card, ".priority", view.priority);
  setText(card, ".reason", view.reason);
  setText(card, ".status", view.status);
  const created = card.querySelector(".created");
  created.dateTime = record.created_at;
  created.textContent = new Date(record.created_at).toLocaleTimeString();
  setText(card, ".handoff-id", record.handoff_id);
  setText(card, ".summary", record.summary);
  for (const field of ["caller", "wanted", "done", "told", "ticket", "details", "language"]) fillFact(card, field, view[field]);
  fillTranscript(card.querySelector(".transcript"), view.transcript);
  const button = card.querySelector(".pickup");
  button.hidden = !view.can_pick_up;
  const form = card.querySelector(".wrap-up");
  const mine = record.picked_up_by === agent.user;
  if (view.wrap_up_due && mine && form.hidden) {
    const select = form.querySelector("select");
    select.replaceChildren(...view.dispositions.map((d) => new Option(d.label, d.code)));
  }
  form.hidden = !(view.wrap_up_due && mine);
  setText(card, ".wrap-note", record.post_call?.agent_note || "");
  records.set(record.handoff_id, record);
  place(card, record);
  tick(card);
  applyFilter();
}

function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

// The live waiting time of a holding caller; red past the service-level target.
function tick(card) {
  const record = records.get(card.dataset.id);
  const waited = card.querySelector(".waited");
  waited.hidden = !record || record.view.state !== "waiting";
  if (waited.hidden) return;
  const seconds = (Date.now() + agent.clockOffsetMs - Date.parse(record.created_at)) / 1000;
  waited.textContent = clock(seconds);
  waited.dataset.overdue = String(seconds >= agent.serviceLevelSeconds);
  waited.title = `Waiting time; target ${clock(agent.serviceLevelSeconds)}`;
}

function shown(record) {
  if (filter === "waiting") return OPEN_STATES.includes(record.view.state);
  if (filter === "mine") {
    return record.picked_up_by === agent.user && (record.view.state !== "ended" || record.view.wrap_up_due);
  }
  if (filter === "ended") return record.view.state === "ended";
  return true;
}

function applyFilter() {
  for (const card of document.querySelectorAll("li.card")) {
    const record = records.get(card.dataset.id);
    card.hidden = !record || !shown(record);
  }
  document.getElementById("queue-section").hidden = filter === "ended";
  document.getElementById("ended-section").hidden = filter === "waiting" || filter === "mine";
  showEmpty();
}

for (const button of document.querySelectorAll("[data-filter]")) {
  button.addEventListener("click", () => {
    filter = button.dataset.filter;
    for (const other of document.querySelectorAll("[data-filter]")) {
      other.setAttribute("aria-pressed", String(other === button));
    }
    applyFilter();
  });
}

setInterval(() => queue.querySelectorAll("li.card").forEach(tick), 1000);

function rank(record) {
  const open = record.view.state !== "picked_up" ? 0 : 2;
  return open + (record.priority === "high" ? 0 : 1);
}

function place(card, record) {
  // Ended calls go to the history (newest first); in the queue high-priority open calls come first,
  // then open calls, then the rest; newest first within a group.
  const list = record.view.state === "ended" ? ended : queue;
  const before = [...list.children].find((other) => {
    const o = records.get(other.dataset.id);
    if (!o || other === card) return false;
    return rank(record) < rank(o) || (rank(record) === rank(o) && record.created_at > o.created_at);
  });
  if (before) {
    list.insertBefore(card, before);
  } else if (card.parentNode !== list || card !== list.lastElementChild) {
    list.appendChild(card);
  }
  showEmpty();
}

function showEmpty() {
  empty.hidden = queue.querySelector("li.card:not([hidden])") !== null;
  endedEmpty.hidden = ended.querySelector("li.card:not([hidden])") !== null;
}

async function send(url, init) {
  try {
    return await fetch(url, init);
  } catch {
    offline.hidden = false;
    return null;
  }
}

async function pickUp(id) {
  const response = await send(`/agent/handoffs/${encodeURIComponent(id)}/pickup`, {
    method: "POST",
    headers: { "X-Agent-Console": "1" },
    credentials: "same-origin",
  });
  if (!response) return;
  if (response.status === 401) {
    window.location.assign("/agent/login");
    return;
  }
  if (response.ok) render(await response.json());
}

// Sound and desktop notification on a new high-priority call; both need the agent's click first
// (browsers allow neither a notification permission prompt nor audio without a user gesture).
const alerts = { button: document.getElementById("alerts"), audio: null };

alerts.button.addEventListener("click", async () => {
  alerts.audio = alerts.audio || new AudioContext();
  await alerts.audio.resume();
  if ("Notification" in window && Notification.permission === "default") {
    await Notification.requestPermission();
  }
  alerts.button.setAttribute("aria-pressed", "true");
  alerts.button.textContent = "Alerts on";
});

function beep() {
  const oscillator = alerts.audio.createOscillator();
  const gain = alerts.audio.createGain();
  oscillator.frequency.value = 880;
  gain.gain.value = 0.2;
  oscillator.connect(gain).connect(alerts.audio.destination);
  oscillator.start();
  oscillator.stop(alerts.audio.currentTime + 0.3);
}

function alertAgent(record) {
  if (!alerts.audio) return;
  beep();
  if ("Notification" in window && Notification.permission === "granted") {
    const note = new Notification(record.view.alert, { tag: record.handoff_id });
    note.addEventListener("click", () => {
      window.focus();
      document.querySelector(`li.card[data-id="${CSS.escape(record.handoff_id)}"]`)?.scrollIntoView();
    });
  }
}

async function wrapUp(id, data) {
  const response = await send(`/agent/handoffs/${encodeURIComponent(id)}/wrapup`, {
    method: "POST",
    headers: { "X-Agent-Console": "1", "Content-Type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ disposition: data.get("disposition"), note: data.get("note") || "" }),
  });
  if (!response) return;
  if (response.status === 401) {
    window.location.assign("/agent/login");
    return;
  }
  if (response.ok) render(await response.json());
}

function connect() {
  const source = new EventSource("/agent/events");
  source.addEventListener("open", () => {
    connection.dataset.state = "live";
    connection.textContent = "live";
  });
  source.addEventListener("snapshot", (event) => {
    queue.replaceChildren();
    ended.replaceChildren();
    records.clear();
    JSON.parse(event.data).forEach(render);
    showEmpty();
  });
  source.addEventListener("handoff", (event) => {
    const record = JSON.parse(event.data);
    render(record);
    if (record.view.alert) alertAgent(record);
  });
  for (const type of ["update", "call_ended"]) {
    source.addEventListener(type, (event) => render(JSON.parse(event.data)));
  }
  source.addEventListener("open", () => { offline.hidden = true; });
  source.addEventListener("error", async () => {
    connection.dataset.state = "offline";
    connection.textContent = "reconnecting…";
    let check;
    try {
      check = await fetch("/agent/session", { credentials: "same-origin" });
    } catch {
      offline.hidden = false;  // the server is unreachable; EventSource keeps retrying by itself
      return;
    }
    if (check.status === 401) {
      source.close();
      window.location.assign("/agent/login");
    }
  });
}

fetch("/agent/session", { credentials: "same-origin" })
  .then((r) => (r.ok ? r.json() : Promise.reject(r)))
  .then((s) => {
    agent.user = s.user;
    agent.serviceLevelSeconds = s.service_level_seconds;
    agent.clockOffsetMs = Date.parse(s.now) - Date.now();
    document.getElementById("agent-name").textContent = s.user;
    connect();
  })
  .catch(() => window.location.assign("/agent/login"));
