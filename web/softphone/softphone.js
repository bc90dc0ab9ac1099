// Softphone: a browser "phone call" to the bot over /ws/media (same JSON as Azure Communication Services).
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const state = { ws: null, ctx: null, mic: null, node: null, playAt: 0, sources: [], playedMs: 0 };
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
    } else if (kind === "Transfer") {
      status("Transferred to an agent (" + msg.target + ") — simulated on the softphone");
    }
  }

  async function call(ev) {
    ev.preventDefault();
    const from = $("from").value.trim(), lang = $("lang").value;
    status("Connecting…");
    state.ctx = new AudioContext();
    await state.ctx.resume();
    state.mic = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    await state.ctx.audioWorklet.addModule("/softphone/static/mic-worklet.js");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const q = new URLSearchParams({ softphone: "1", from, lang });
    const ws = new WebSocket(`${scheme}//${location.host}/ws/media?${q}`);
    state.ws = ws;
    ws.onmessage = onMessage;
    ws.onclose = () => hangup(false);
    ws.onopen = () => {
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
      $("call").disabled = true;
      $("hangup").disabled = false;
    };
  }

  function hangup(closeSocket = true) {
    if (closeSocket && state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.close();
    if (state.node) state.node.disconnect();
    if (state.mic) state.mic.getTracks().forEach((t) => t.stop());
    state.node = state.mic = null;
    $("call").disabled = false;
    $("hangup").disabled = true;
    status("Call ended");
  }

  function key(digit) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) {
      state.ws.send(JSON.stringify({ kind: "DtmfData", dtmfData: { data: digit } }));
    }
  }

  $("dial").addEventListener("submit", call);
  $("hangup").addEventListener("click", () => hangup(true));
  document.querySelectorAll("#keypad button").forEach((b) => b.addEventListener("click", () => key(b.dataset.key)));
})();
