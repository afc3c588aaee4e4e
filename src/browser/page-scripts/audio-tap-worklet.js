// @ts-check
/** The AudioWorklet module after the core (loaded from a Blob URL; `sampleRate` and `currentTime` are worklet globals). */
registerProcessor(
  'scriba-audio-tap',
  class extends AudioWorkletProcessor {
    /** @param {any} options */
    constructor(options) {
      super();
      const o = options?.processorOptions || {};
      this.core = new ScribaTapCore(sampleRate, o.outRate, o.chunkSamples, (m) => {
        try {
          if (m.pcm) this.port.postMessage(m, [m.pcm]);
          else this.port.postMessage(m);
        } catch {}
      });
      this.core.muted = Boolean(o.muted);
      this.port.onmessage = (e) => {
        const d = e.data || {};
        if (d.type === 'mute') this.core.setMuted(Boolean(d.muted));
        else if (d.type === 'stop') this.core.stop();
      };
    }
    /** @param {Float32Array[][]} inputs */
    process(inputs) {
      if (this.core.stopped) return false;
      try {
        this.core.push(inputs[0], currentTime);
      } catch {}
      return true;
    }
  },
);
