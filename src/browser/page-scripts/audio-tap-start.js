// @ts-check
/**
 * Installs the tap (window.__scribaAudioTap) and resolves `{ ok, ... }`; never throws. Messages to Node, through
 * window[options.binding](message):
 *   { type: 'participant', id, name, state: 'joined' | 'renamed' | 'left' }
 *   { type: 'chunk', id, startEpochMs, continuous, sampleRate, pcm: base64 Int16 LE }
 *   { type: 'status', message }
 * The tap's core class (audio-tap-core.js) is declared around this function when it is evaluated.
 * @param {{ binding: string, chunkSamples: number, outRate: number, trackProbeWaitMs: number, workletSource: string }} options
 */
async (options) => {
  /**
   * @typedef {{ type: 'mute', muted: boolean } | { type: 'stop' }} TapControl
   * @typedef {{ source: MediaStreamAudioSourceNode, node: any, control: (msg: TapControl) => void, finished: boolean, afterFlush: Array<() => void> }} Rec
   * @typedef {{ id: string, name: string | null, muted: boolean, mst: MediaStreamTrack | null, rec: Rec | null }} Tap
   * @typedef {{ stopped: boolean, ctx: AudioContext, taps: Map<string, Tap>, offs: Array<() => void>, timer: any,
   *   processor: string, errors: number, draining: Set<Rec>, sync?: () => void, detach?: (tap: Tap, then?: () => void) => void }} TapState
   */
  try {
    const old = window.__scribaAudioTap;
    if (old && !old.stopped) return { ok: false, reason: 'already_running', detail: 'the audio tap is already running' };
    const send = /** @type {any} */ (window)[options.binding];
    if (typeof send !== 'function') return { ok: false, reason: 'failed', detail: 'no binding' };
    /** @param {unknown} m */
    const post = (m) => {
      try {
        const p = send(m);
        if (p?.catch) p.catch(() => {});
      } catch {}
    };
    let room = null;
    try {
      room = APP.conference._room;
    } catch {}
    if (!room || typeof room.getParticipants !== 'function')
      return { ok: false, reason: 'no_conference', detail: 'APP.conference._room is missing' };
    // Audio tracks that hand out no MediaStream(Track) (a lib-jitsi-meet build that hides them): nobody could
    // ever be tapped, so fail now and let the recorder transcribe the mixed audio. Remote tracks arrive after
    // the join, so wait up to trackProbeWaitMs for the first one; none by then: start (the verdict is then never made).
    const audioTracks = () => {
      let all = 0;
      let readable = 0;
      try {
        for (const p of room.getParticipants() || []) {
          for (const t of (typeof p.getTracksByMediaType === 'function' && p.getTracksByMediaType('audio')) || []) {
            all++;
            if (typeof t.getTrack === 'function' || typeof t.getOriginalStream === 'function') readable++;
          }
        }
      } catch {}
      return { all, readable };
    };
    let probe = audioTracks();
    for (let waited = 0; probe.all === 0 && waited < options.trackProbeWaitMs; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
      probe = audioTracks();
    }
    if (probe.all > 0 && probe.readable === 0) return { ok: false, reason: 'failed', detail: 'remote audio tracks expose no MediaStream' };
    const OUT_RATE = options.outRate;
    const CHUNK = options.chunkSamples;
    let ctx;
    try {
      ctx = new AudioContext({ sampleRate: OUT_RATE, latencyHint: 'playback' });
    } catch {
      try {
        ctx = new AudioContext({ latencyHint: 'playback' });
      } catch (/** @type {any} */ e2) {
        return { ok: false, reason: 'no_audio_context', detail: String(e2?.message || e2).slice(0, 200) };
      }
    }
    let processor = 'audio-worklet';
    try {
      const url = URL.createObjectURL(new Blob([options.workletSource], { type: 'text/javascript' }));
      try {
        await ctx.audioWorklet.addModule(url);
      } finally {
        URL.revokeObjectURL(url);
      }
    } catch {
      processor = 'script-processor';
    }
    // The recorder runs with --autoplay-policy=no-user-gesture-required; resume() in case it does not.
    try {
      await Promise.race([ctx.resume(), new Promise((r) => setTimeout(r, 2000))]);
    } catch {}
    // A zero gain into the destination keeps every tap node pulled by the render graph, silently.
    const sink = ctx.createGain();
    sink.gain.value = 0;
    sink.connect(ctx.destination);

    // Context time → epoch ms: the output timestamp says when a context time is heard, which is when the same
    // audio played by Meet's own <audio> elements is heard (and recorded).
    /** @param {number} t */
    const epochOf = (t) => {
      try {
        const ts = /** @type {{ performanceTime: number, contextTime: number }} */ (ctx.getOutputTimestamp());
        if (ts && ts.performanceTime > 0 && ts.contextTime > 0)
          return performance.timeOrigin + ts.performanceTime + (t - ts.contextTime) * 1000;
      } catch {}
      return performance.timeOrigin + performance.now() - (ctx.currentTime - t) * 1000;
    };
    /** @param {ArrayBuffer} buffer */
    const toBase64 = (buffer) => {
      const bytes = /** @type {Uint8Array & { toBase64?: () => string }} */ (new Uint8Array(buffer));
      if (typeof bytes.toBase64 === 'function') return bytes.toBase64();
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000)
        s += String.fromCharCode.apply(null, /** @type {any} */ (bytes.subarray(i, i + 0x8000)));
      return btoa(s);
    };

    /** @type {TapState} */
    const state = { stopped: false, ctx, taps: new Map(), offs: [], timer: null, processor, errors: 0, draining: new Set() };
    window.__scribaAudioTap = state;
    /** @param {Tap} tap @param {any} m */
    const onChunk = (tap, m) => {
      post({
        type: 'chunk',
        id: tap.id,
        startEpochMs: epochOf(m.startTime),
        continuous: Boolean(m.continuous),
        sampleRate: OUT_RATE,
        pcm: toBase64(m.pcm),
      });
    };

    // One record per attached track; finish() runs once, after the processor's last chunk (or a timeout).
    /** @param {Tap} tap @param {MediaStreamTrack} mst */
    const attach = (tap, mst) => {
      // Only the audio track: the original stream may hold video too.
      const source = ctx.createMediaStreamSource(new MediaStream([mst]));
      /** @type {Rec} */
      const rec = { source, node: null, control: /** @type {any} */ (null), finished: false, afterFlush: [] };
      /** @param {any} m */
      const onMessage = (m) => {
        if (m.type === 'chunk') onChunk(tap, m);
        else if (m.type === 'stopped') finish(rec);
      };
      if (processor === 'audio-worklet') {
        rec.node = new AudioWorkletNode(ctx, 'scriba-audio-tap', {
          numberOfInputs: 1,
          numberOfOutputs: 1,
          outputChannelCount: [1],
          // explicit mono input: the graph downmixes (speakers rules) before the processor sees it
          channelCount: 1,
          channelCountMode: 'explicit',
          channelInterpretation: 'speakers',
          processorOptions: { outRate: OUT_RATE, chunkSamples: CHUNK, muted: tap.muted },
        });
        rec.node.port.onmessage = /** @param {MessageEvent} e */ (e) => {
          if (e.data) onMessage(e.data);
        };
        rec.control = (msg) => rec.node.port.postMessage(msg);
      } else {
        rec.node = ctx.createScriptProcessor(4096, 1, 1);
        const core = new ScribaTapCore(ctx.sampleRate, OUT_RATE, CHUNK, onMessage);
        core.muted = tap.muted;
        rec.node.onaudioprocess = /** @param {AudioProcessingEvent} e */ (e) => {
          try {
            const b = e.inputBuffer;
            const chans = [];
            for (let c = 0; c < b.numberOfChannels; c++) chans.push(b.getChannelData(c));
            // playbackTime is when this block's output plays; its input arrived one buffer earlier.
            core.push(chans, e.playbackTime - b.length / ctx.sampleRate);
          } catch {}
        };
        rec.control = (msg) => {
          if (msg.type === 'mute') core.setMuted(msg.muted);
          else if (msg.type === 'stop') core.stop();
        };
      }
      source.connect(rec.node);
      rec.node.connect(sink);
      tap.mst = mst;
      tap.rec = rec;
    };
    /** @param {Rec} rec */
    const finish = (rec) => {
      if (rec.finished) return;
      rec.finished = true;
      state.draining.delete(rec);
      try {
        rec.source.disconnect();
      } catch {}
      try {
        rec.node.disconnect();
      } catch {}
      for (const f of rec.afterFlush)
        try {
          f();
        } catch {}
    };
    // Stops the tap's processor; `then` runs after its last partial chunk was posted.
    /** @param {Tap} tap @param {() => void} [then] */
    const detach = (tap, then) => {
      const rec = tap.rec;
      tap.mst = null;
      tap.rec = null;
      if (!rec) {
        if (then) then();
        return;
      }
      if (then) rec.afterFlush.push(then);
      state.draining.add(rec);
      try {
        rec.control({ type: 'stop' });
      } catch {}
      setTimeout(() => finish(rec), 1000); // a suspended context never answers
    };
    /** @param {Tap} tap @param {boolean} muted */
    const setMuted = (tap, muted) => {
      if (tap.muted === muted) return;
      tap.muted = muted;
      if (tap.rec)
        try {
          tap.rec.control({ type: 'mute', muted });
        } catch {}
    };

    /** @param {any} identity @returns {Record<string, unknown> | null} */
    const userOf = (identity) =>
      identity && typeof identity === 'object' && identity.user && typeof identity.user === 'object' ? identity.user : null;
    // Hidden, hidden from the recorder, or unknowable: never tapped.
    /** @param {JitsiParticipant} p */
    const isHidden = (p) => {
      try {
        if (typeof p.isHidden === 'function' && p.isHidden()) return true;
        if (typeof p.isHiddenFromRecorder === 'function' && p.isHiddenFromRecorder()) return true;
        const members = room.room?.members;
        const m = members && typeof p.getJid === 'function' ? members[p.getJid()] : null;
        const user = userOf(m?.identity);
        return Boolean(user?.['hidden-from-recorder']);
      } catch {
        return true;
      }
    };
    /** @param {JitsiParticipant} p */
    const nameOf = (p) => {
      try {
        const n = p.getDisplayName();
        return typeof n === 'string' && n !== '' ? n : null;
      } catch {
        return null;
      }
    };
    /** @param {JitsiParticipant} p */
    const audioOf = (p) => {
      /** @type {JitsiTrack[]} */
      let tracks = [];
      try {
        tracks = p.getTracksByMediaType('audio') || [];
      } catch {}
      for (const t of tracks) {
        let mst = null;
        try {
          mst = t.getTrack();
        } catch {}
        if (!mst)
          try {
            const s = t.getOriginalStream();
            mst = s?.getAudioTracks()[0];
          } catch {}
        if (mst && mst.kind === 'audio' && mst.readyState === 'live') {
          let muted = false;
          try {
            muted = typeof t.isMuted === 'function' ? t.isMuted() === true : p.isAudioMuted() === true;
          } catch {}
          return { mst, muted };
        }
      }
      return null;
    };

    const sync = () => {
      if (state.stopped) return;
      const seen = new Set();
      /** @type {JitsiParticipant[]} */
      let list = [];
      try {
        list = room.getParticipants() || [];
      } catch {
        state.errors++;
      }
      for (const p of list) {
        try {
          if (isHidden(p)) continue;
          const id = String(p.getId());
          seen.add(id);
          const name = nameOf(p);
          let tap = state.taps.get(id);
          if (!tap) {
            tap = { id, name, muted: false, mst: null, rec: null };
            state.taps.set(id, tap);
            post({ type: 'participant', id, name, state: 'joined' });
          } else if (name !== null && name !== tap.name) {
            tap.name = name;
            post({ type: 'participant', id, name, state: 'renamed' });
          }
          const audio = audioOf(p);
          const mst = audio ? audio.mst : null;
          if (tap.mst !== mst) {
            detach(tap);
            if (mst) {
              tap.muted = /** @type {{ muted: boolean }} */ (audio).muted;
              try {
                attach(tap, mst);
              } catch (/** @type {any} */ e) {
                state.errors++;
                post({ type: 'status', message: `tap ${id}: ${String(e?.message || e).slice(0, 200)}` });
              }
            }
          }
          setMuted(tap, audio ? audio.muted : true);
        } catch {
          state.errors++;
        }
      }
      for (const [id, tap] of state.taps) {
        if (seen.has(id)) continue;
        state.taps.delete(id);
        // 'left' after the last chunk: a participant's stream ends with them.
        detach(tap, () => post({ type: 'participant', id, name: tap.name, state: 'left' }));
      }
    };
    state.sync = sync;
    state.detach = detach;

    const events = (window.JitsiMeetJS && JitsiMeetJS.events?.conference) || {};
    const names = [
      events.TRACK_ADDED || 'conference.trackAdded',
      events.TRACK_REMOVED || 'conference.trackRemoved',
      events.TRACK_MUTE_CHANGED || 'conference.trackMuteChanged',
      events.USER_JOINED || 'conference.userJoined',
      events.USER_LEFT || 'conference.userLeft',
      events.DISPLAY_NAME_CHANGED || 'conference.displayNameChanged',
    ];
    // Events only schedule a sync (after the emitter's other listeners ran): one code path for every change.
    let pending = false;
    const schedule = () => {
      if (pending) return;
      pending = true;
      setTimeout(() => {
        pending = false;
        sync();
      }, 0);
    };
    const on = room.on || room.addEventListener;
    const off = room.off || room.removeEventListener;
    for (const name of names) {
      try {
        on.call(room, name, schedule);
        state.offs.push(() => off.call(room, name, schedule));
      } catch {}
    }
    // Safety net for anything the events missed (a track ending on its own, a renamed member).
    state.timer = setInterval(sync, 1000);
    sync();
    return { ok: true, processor, contextSampleRate: ctx.sampleRate, state: ctx.state };
  } catch (/** @type {any} */ e) {
    return { ok: false, reason: 'failed', detail: String(e?.message || e).slice(0, 200) };
  }
};
