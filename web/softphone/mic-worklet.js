// AudioWorklet: microphone at the context rate -> 16 kHz 16-bit mono PCM, posted in 20 ms (640-byte) frames.
class MicCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / 16000;
    this.pos = 0;
    this.frame = new Int16Array(320);
    this.fill = 0;
  }
  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input) return true;
    // Linear-interpolation resampler; the browser's echo cancellation already ran on this signal.
    while (this.pos < input.length - 1) {
      const i = Math.floor(this.pos), f = this.pos - i;
      const s = input[i] * (1 - f) + input[i + 1] * f;
      this.frame[this.fill++] = Math.max(-32768, Math.min(32767, Math.round(s * 32767)));
      if (this.fill === 320) {
        this.port.postMessage(this.frame.buffer.slice(0));
        this.fill = 0;
      }
      this.pos += this.ratio;
    }
    this.pos -= input.length;
    return true;
  }
}
registerProcessor("mic-capture", MicCapture);
