// @ts-check
/**
 * The audio tap's per-track core, shared by the AudioWorklet and the ScriptProcessor fallback: downmix,
 * resample, Int16, batching. Resampling: an averaging decimator with integer phase (exact long-run rate). When
 * the AudioContext itself runs at 16 kHz (the usual case) Chromium's own resampler did the work and this is a
 * 1:1 copy. Chunks say whether they follow the previous one without a gap (`continuous`); muting cuts the run.
 * @typedef {typeof ScribaTapCore} TapCoreClass
 * @typedef {{ type: string, startTime?: number, continuous?: boolean, samples?: number, pcm?: ArrayBuffer }} TapCoreMessage
 */
// biome-ignore lint/correctness/noUnusedVariables: concatenated before the worklet and the ScriptProcessor fallback, which use it.
class ScribaTapCore {
  /**
   * @param {number} inRate @param {number} outRate @param {number} chunkSamples
   * @param {(m: TapCoreMessage) => void} post
   */
  constructor(inRate, outRate, chunkSamples, post) {
    this.inRate = Math.round(inRate);
    this.outRate = Math.round(outRate);
    this.chunkSamples = chunkSamples;
    this.post = post;
    this.buf = new Int16Array(chunkSamples);
    this.fill = 0;
    this.startTime = 0;
    this.phase = 0;
    this.acc = 0;
    this.cnt = 0;
    this.continuous = false;
    this.muted = false;
    this.stopped = false;
  }
  /** @param {any} channels one Float32Array per channel @param {number} time context time of the first frame */
  push(channels, time) {
    if (this.stopped) return;
    const k = channels ? channels.length : 0;
    const n = k > 0 && channels[0] ? channels[0].length : 0;
    if (this.muted || n === 0) {
      this.gap();
      return;
    }
    for (let i = 0; i < n; i++) {
      let x = 0;
      for (let c = 0; c < k; c++) x += channels[c][i];
      this.acc += x / k;
      this.cnt += 1;
      this.phase += this.outRate;
      if (this.phase >= this.inRate) {
        const v = this.acc / this.cnt;
        this.acc = 0;
        this.cnt = 0;
        const t = time + i / this.inRate;
        while (this.phase >= this.inRate) {
          this.phase -= this.inRate;
          this.emit(v, t);
        }
      }
    }
  }
  /** @param {number} v @param {number} t */
  emit(v, t) {
    if (this.fill === 0) this.startTime = t;
    this.buf[this.fill++] = v <= -1 ? -32768 : v >= 1 ? 32767 : Math.round(v < 0 ? v * 32768 : v * 32767);
    if (this.fill === this.chunkSamples) this.flush();
  }
  flush() {
    if (this.fill === 0) return;
    const pcm = this.buf.slice(0, this.fill);
    this.post({ type: 'chunk', startTime: this.startTime, continuous: this.continuous, samples: this.fill, pcm: pcm.buffer });
    this.continuous = true;
    this.fill = 0;
  }
  gap() {
    this.flush();
    this.continuous = false;
    this.phase = 0;
    this.acc = 0;
    this.cnt = 0;
  }
  /** @param {boolean} muted */
  setMuted(muted) {
    if (muted && !this.muted) this.gap();
    this.muted = muted;
  }
  stop() {
    if (this.stopped) return;
    this.flush();
    this.stopped = true;
    this.post({ type: 'stopped' });
  }
}
