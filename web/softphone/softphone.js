// Softphone: a browser "phone call" to the bot over /ws/media (same JSON as Azure Communication Services).
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const CONNECT_TIMEOUT_MS = 10000;
  const IDENTITY = {
    unknown: "Not identified",
    identified: "Identified by phone number, not verified",
    verified: "Verified by PIN",
  };
  const state = { ws: null, ctx: null, mic: null, node: null, playAt: 0, sources: [], playedMs: 0,
    calls: 0, inCall: false, startedAt: 0, timer: null, endedByUs: false, keys: "", transferred: false,
    botHungUp: false };
  window.softphone = { state, transcript: [], stops: 0, audioFrames: 0 };

  function b64FromBytes(bytes) {
    let bin = "";
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin);
  }
  function bytesFromB64(b64) {
    const bin = atob(b64), out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function status(text) { $("status").textContent = text; }
  function problem(text) {
    $("problem").textContent = text || "";
    $("problem").hidden = !text;
  }
  function addLine(role, text, final) {
    const list = $("transcript");
    let last = list.lastElementChild;
    if (!(last && last.classList.contains("partial") && last.dataset.role === role)) {
      last = document.createElement("li");
      last.dataset.role = role;
      list.appendChild(last);
    }
    last.className = role + (final ? "" : " partial");
    last.textContent = (role === "caller" ? "You: " : "Bot: ") + text;
    if (final) window.softphone.transcript.push({ role, text });
    if (final && role === "bot") showKeys("");  // a new prompt: the next entry starts empty
  }
  function separator() {
    const li = document.createElement("li");
    li.className = "separator";
    li.textContent = `Call ${state.calls} · ${new Date().toLocaleTimeString()}`;
    $("transcript").appendChild(li);
  }
  function showKeys(keys) {
    state.keys = keys;
    // Masked like a PIN field: the caller sees each press land, the screen never shows the digits.
    $("keys").textContent = keys ? keys.replace(/[0-9]/g, "•") : "none";
  }
  function clock() {
    const s = Math.floor((Date.now() - state.startedAt) / 1000);
    $("timer").textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }
  function controls(inCall) {
    state.inCall = inCall;
    $("call").disabled = inCall;
    $("hangup").disabled = !inCall;
    $("mute").disabled = !inCall;
    document.querySelectorAll("#keypad button").forEach((b) => { b.disabled = !inCall; });
  }

  function playFrame(pcmBytes) {
    const ctx = state.ctx;
    const samples = new Int16Array(pcmBytes.buffer, pcmBytes.byteOffset, pcmBytes.byteLength >> 1);
    const buf = ctx.createBuffer(1, samples.length, 16000);
    const ch = buf.getChannelData(0);
    for (let i = 0; i < samples.length; i++) ch[i] = samples[i] / 32768;
    const src = ctx.createBufferSource();
    src.buffer = buf;
    src.connect(ctx.destination);
    const at = Math.max(ctx.currentTime + 0.02, state.playAt);
    src.start(at);
    state.playAt = at + buf.duration;
    state.sources.push(src);
    src.onended = () => {
      state.sources = state.sources.filter((s) => s !== src);
      state.playedMs += buf.duration * 1000;
      $("played").textContent = Math.round(state.playedMs);
    };
    window.softphone.audioFrames++;
  }
  function stopPlayback() {
    for (const src of state.sources) { try { src.stop(); } catch (e) { /* already ended */ } }
    state.sources = [];
    state.playAt = 0;
    window.softphone.stops++;
  }

  function onMessage(ev) {
    let msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    const kind = msg.Kind || msg.kind;
    if (kind === "AudioData") {
      const body = msg.AudioData || msg.audioData || {};
      playFrame(bytesFromB64(body.Data || body.data || ""));
    } else if (kind === "StopAudio") {
      stopPlayback();
    } else if (kind === "Transcript") {
      addLine(msg.role, msg.text, msg.final);
    } else if (kind === "Caller") {
      $("identity").textContent = IDENTITY[msg.state] || "–";
    } else if (kind === "Timings") {
      $("timings").textContent = Object.entries(msg).filter(([k]) => k.endsWith("_ms"))
        .map(([k, v]) => `${k.replace(/_ms$/, "")} ${v}`).join(", ");
    } else if (kind === "HangUp") {
      state.botHungUp = true;
    } else if (kind === "Transfer") {
      state.transferred = true;
      status("Transferred to an agent (simulated on the softphone: no agent phone rings)");
    }
  }

  function micProblem(err) {
    const name = err && err.name;
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return "No microphone found. Plug in a microphone or headset, then press Call again.";
    }
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "Microphone permission denied. Allow the microphone for this site (the icon in the address bar), then press Call again.";
    }
    if (name === "NotReadableError") {
      return "The microphone is in use by another application or not working. Close the other application, then press Call again.";
    }
    return "The microphone could not be opened. Check your microphone, then press Call again.";
  }

  async function serverProblem() {
    // The WebSocket API hides why a connection failed: ask the readiness check instead.
    try {
      const r = await fetch("/readyz", { cache: "no-store" });
      if (r.status === 503) return "The bot is starting up or one of its services is down. Wait a few seconds, then press Call again.";
      return "The bot refused the call (too many softphone calls, or the softphone is turned off). Try again in a minute.";
    } catch (e) {
      return "Cannot reach the bot server. Check that it is running (bash scripts/run.sh) and that this page's address is right, then press Call again.";
    }
  }

  function release() {
    if (state.node) state.node.disconnect();
    if (state.mic) state.mic.getTracks().forEach((t) => t.stop());
    const ctx = state.ctx;
    if (ctx) {
      // The bot's last words (a goodbye) may still be queued: let them play unless you hung up.
      const left = state.endedByUs ? 0 : Math.max(0, state.playAt - ctx.currentTime);
      if (!left) stopPlayback();
      setTimeout(() => ctx.close().catch(() => {}), left * 1000 + 100);
      state.playAt = 0;  // the next call has its own audio context and clock
      state.sources = [];
    }
    clearInterval(state.timer);
    state.node = state.mic = state.ctx = state.ws = null;
    controls(false);
    $("mute").setAttribute("aria-pressed", "false");
    $("mute").textContent = "Mute";
  }

  async function openMicrophone() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw { name: "SecurityError" };
    }
    return navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
  }

  async function call(ev) {
    ev.preventDefault();
    if (state.inCall) return;
    const from = $("from").value.trim(), lang = $("lang").value;
    problem("");
    $("call").disabled = true;
    status("Connecting…");
    try {
      state.mic = await openMicrophone();
    } catch (err) {
      release();
      status("Not connected");
      problem(micProblem(err));
      return;
    }
    try {
      state.ctx = new AudioContext();
      await state.ctx.resume();
      await state.ctx.audioWorklet.addModule("/softphone/static/mic-worklet.js");
    } catch (err) {
      release();
      status("Not connected");
      problem(await serverProblem());
      return;
    }
    state.calls += 1;
    state.endedByUs = state.transferred = state.botHungUp = false;
    showKeys("");
    $("identity").textContent = "–";
    separator();
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const q = new URLSearchParams({ softphone: "1", from, lang });
    const ws = new WebSocket(`${scheme}//${location.host}/ws/media?${q}`);
    state.ws = ws;
    let opened = false;
    const giveUp = setTimeout(() => { if (!opened) ws.close(); }, CONNECT_TIMEOUT_MS);
    ws.onmessage = onMessage;
    ws.onerror = () => { /* onclose follows and says what happened */ };
    ws.onclose = () => {
      clearTimeout(giveUp);
      if (state.ws !== ws) return;
      release();
      ended(opened);
    };
    ws.onopen = () => {
      opened = true;
      clearTimeout(giveUp);
      ws.send(JSON.stringify({ kind: "AudioMetadata", audioMetadata: {
        subscriptionId: "softphone", encoding: "PCM", sampleRate: 16000, channels: 1, length: 640 } }));
      const source = state.ctx.createMediaStreamSource(state.mic);
      state.node = new AudioWorkletNode(state.ctx, "mic-capture");
      state.node.port.onmessage = (m) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.send(JSON.stringify({ kind: "AudioData", audioData: {
          timestamp: new Date().toISOString(), participantRawID: "4:" + from,
          data: b64FromBytes(new Uint8Array(m.data)), silent: false } }));
      };
      source.connect(state.node);
      status("In call");
      controls(true);
      state.startedAt = Date.now();
      clock();
      state.timer = setInterval(clock, 1000);
    };
  }

  async function ended(opened) {
    if (!opened) {
      status("Not connected");
      problem(await serverProblem());
    } else if (state.endedByUs) {
      status("Call ended: you hung up");
    } else if (state.transferred) {
      status("Call ended: transferred to an agent (simulated)");
    } else if (state.botHungUp) {
      status("Call ended by the bot");
    } else {
      status("Call lost");
      problem("The connection to the bot was lost (the server stopped or the network dropped). Press Call to call again.");
    }
  }

  function hangup() {
    if (!state.ws) return;
    state.endedByUs = true;
    if (state.ws.readyState === WebSocket.OPEN || state.ws.readyState === WebSocket.CONNECTING) state.ws.close(1000);
  }

  function mute() {
    if (!state.mic) return;
    const muted = $("mute").getAttribute("aria-pressed") !== "true";
    state.mic.getAudioTracks().forEach((t) => { t.enabled = !muted; });  // a muted track sends silence
    $("mute").setAttribute("aria-pressed", String(muted));
    $("mute").textContent = muted ? "Unmute" : "Mute";
    status(muted ? "In call (muted: the bot hears silence)" : "In call");
  }

  function key(button) {
    const digit = button.dataset.key;
    if (!(state.ws && state.ws.readyState === WebSocket.OPEN)) return;
    state.ws.send(JSON.stringify({ kind: "DtmfData", dtmfData: { data: digit } }));
    showKeys(state.keys + digit);
    button.classList.add("sent");
    setTimeout(() => button.classList.remove("sent"), 150);
  }

  async function loadDemoCallers() {
    // Shown only with the embedded demo CRM outside production: the server answers 404 otherwise.
    let callers;
    try {
      const r = await fetch("/softphone/demo-callers", { cache: "no-store" });
      if (!r.ok) return;
      callers = await r.json();
    } catch (e) { return; }
    const body = $("demo-callers");
    for (const c of callers) {
      const tr = document.createElement("tr");
      const who = document.createElement("td"), number = document.createElement("span");
      number.className = "number"; number.textContent = c.number;
      who.append(c.name, number);
      const pin = document.createElement("td"); pin.textContent = c.pin;
      tr.append(who, pin);
      const use = document.createElement("button");
      use.type = "button"; use.textContent = "Call as " + c.name.split(" ")[0];
      use.addEventListener("click", () => {
        $("from").value = c.number;
        $("lang").value = c.language;
      });
      const td = document.createElement("td"); td.appendChild(use); tr.appendChild(td);
      body.appendChild(tr);
    }
    $("demo").hidden = callers.length === 0;
  }

  $("dial").addEventListener("submit", (ev) => { call(ev).catch(() => { release(); status("Not connected"); problem("The call could not start. Reload the page and try again."); }); });
  $("hangup").addEventListener("click", hangup);
  $("mute").addEventListener("click", mute);
  document.querySelectorAll("#keypad button").forEach((b) => b.addEventListener("click", () => key(b)));
  loadDemoCallers();
})();
