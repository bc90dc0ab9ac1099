// Agent console: renders the live queue from server-sent events. Text only (textContent), never HTML.
"use strict";

const queue = document.getElementById("queue");
const empty = document.getElementById("empty");
const ended = document.getElementById("ended");
const endedEmpty = document.getElementById("ended-empty");
const connection = document.getElementById("connection");
const template = document.getElementById("card-template");
const records = new Map();

const REASONS = {
  caller_request: "Asked for an agent",
  fraud: "Fraud report",
  repeated_no_match: "Not understood",
  identification_failed: "Identification failed",
  backend_failure: "System failure",
  no_input: "No response",
  knowledge_gap: "No answer known",
};
const STATUSES = {
  waiting: "Waiting",
  picked_up: "Picked up",
  transfer_failed: "Transfer failed",
  callback: "Call back",
  ended: "Ended",
};

// One status per card, so it can never contradict itself: "waiting" means the caller is holding.
function stateOf(record) {
  if (record.status === "callback_requested") return "callback";
  if (record.post_call) return "ended";
  if (record.status === "queued") return "waiting";
  return record.status;
}

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

function identity(caller) {
  const phone = caller.phone_masked ? ` · phone ${caller.phone_masked}` : "";
  if (caller.verified) {
    return `${caller.name || "Customer"} (verified, id ${caller.customer_id || "?"})${phone}`;
  }
  return `Not verified${phone}`;
}

function render(record) {
  let card = document.querySelector(`li.card[data-id="${CSS.escape(record.handoff_id)}"]`);
  if (!card) {
    card = template.content.firstElementChild.cloneNode(true);
    card.dataset.id = record.handoff_id;
    card.querySelector(".pickup").addEventListener("click", () => pickUp(record.handoff_id));
  }
  card.dataset.priority = record.priority;
  const state = stateOf(record);
  card.dataset.status = state;
  setText(card, ".priority", record.priority === "high" ? "HIGH" : "normal");
  setText(card, ".reason", REASONS[record.reason] || record.reason);
  setText(card, ".status", STATUSES[state] || state);
  const created = card.querySelector(".created");
  created.dateTime = record.created_at;
  created.textContent = new Date(record.created_at).toLocaleTimeString();
  setText(card, ".handoff-id", record.handoff_id);
  setText(card, ".summary", record.summary);
  setText(card, ".identity", identity(record.caller));
  setText(card, ".language", record.language);
  setText(card, ".step", record.dialog_step || "—");
  fillList(card.querySelector(".intents"),
    record.intents.map((i) => `${i.intent} (${Math.round(i.score * 100)} %): “${i.text}”`));
  fillList(card.querySelector(".entities"),
    Object.entries(record.entities).map(([k, v]) => `${k}: ${v}`));
  fillList(card.querySelector(".lookups"),
    record.crm_lookups.map((c) => `${c.operation} (${c.data_category})`));
  fillList(card.querySelector(".transcript"),
    record.transcript.map((t) => `${t.speaker}: ${t.text}`));
  const post = record.post_call;
  setText(card, ".post-call", post ? `Call ended: ${post.outcome}, ${Math.round(post.duration_seconds)} s` : "");
  const button = card.querySelector(".pickup");
  button.hidden = state === "ended";
  button.disabled = record.status === "picked_up";
  button.textContent = record.status === "picked_up" ? `Picked up by ${record.picked_up_by}` : "Pick up";
  records.set(record.handoff_id, record);
  place(card, record);
}

function rank(record) {
  const open = stateOf(record) !== "picked_up" ? 0 : 2;
  return open + (record.priority === "high" ? 0 : 1);
}

function place(card, record) {
  // Ended calls go to the history (newest first); in the queue high-priority open calls come first,
  // then open calls, then the rest; newest first within a group.
  const list = stateOf(record) === "ended" ? ended : queue;
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
  empty.hidden = queue.children.length > 0;
  endedEmpty.hidden = ended.children.length > 0;
}

async function pickUp(id) {
  const response = await fetch(`/agent/handoffs/${encodeURIComponent(id)}/pickup`, {
    method: "POST",
    headers: { "X-Agent-Console": "1" },
    credentials: "same-origin",
  });
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
  for (const type of ["handoff", "update", "call_ended"]) {
    source.addEventListener(type, (event) => render(JSON.parse(event.data)));
  }
  source.addEventListener("error", async () => {
    connection.dataset.state = "offline";
    connection.textContent = "reconnecting…";
    const check = await fetch("/agent/session", { credentials: "same-origin" });
    if (check.status === 401) {
      source.close();
      window.location.assign("/agent/login");
    }
  });
}

fetch("/agent/session", { credentials: "same-origin" })
  .then((r) => (r.ok ? r.json() : Promise.reject(r)))
  .then((s) => { document.getElementById("agent-name").textContent = s.user; connect(); })
  .catch(() => window.location.assign("/agent/login"));
