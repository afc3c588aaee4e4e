/**
 * The meeting page object: the only place with in-page JavaScript (jitsi-interop.md §1).
 *
 * Rules every method follows:
 * - In-page scripts are plain JavaScript strings (not serialized TypeScript functions, which a transpiler may
 *   rewrite), each probe inside its own try/catch so a probe that throws is "unknown" (null), never a crash.
 * - Every evaluation races a timeout, the page's death (tab closed, renderer crashed, browser disconnected)
 *   and, where given, an AbortSignal. A late evaluation result is ignored, a late rejection swallowed.
 * - Page death: open/waitForJoin/snapshot reject with ScribaError('browser_crashed', retryable); participants
 *   resolves null; setPresence and leave resolve false. Nothing here ever leaves an unhandled rejection.
 */
import { navigationErrorDetail } from './navigation-error.ts';
import { randomUUID } from 'node:crypto';
import type { Browser, Dialog, Page } from 'puppeteer-core';
import { ScribaError } from '../domain/errors.ts';
import { parseParticipants, parseProbeSnapshot, unknownSnapshot, type MeetingParticipant, type ProbeSnapshot } from './probe-snapshot.ts';

export const DEFAULT_PAGE_LOAD_TIMEOUT_MS = 60_000;
export const DEFAULT_JOIN_TIMEOUT_MS = 30_000;
export const DEFAULT_JOIN_POLL_MS = 500;
export const DEFAULT_SNAPSHOT_TIMEOUT_MS = 10_000;
export const DEFAULT_LEAVE_TIMEOUT_MS = 5_000;
const SINGLE_PROBE_TIMEOUT_MS = 5_000;
const PRESENCE_TIMEOUT_MS = 5_000;
const PARTICIPANTS_TIMEOUT_MS = 5_000;

// ---------------------------------------------------------------------------------------------------------
// In-page scripts. Each is one JavaScript expression evaluated in the meeting page's main world.
// ---------------------------------------------------------------------------------------------------------

/** `{ joined: boolean | null, error: string | null }`: error says why a poll was not a yes (for diagnostics). */
const JOINED_SCRIPT = `(() => {
  try {
    const joined = APP.conference._room.isJoined();
    return { joined: typeof joined === 'boolean' ? joined : null, error: null };
  } catch (e) {
    return { joined: null, error: String(e && e.message || e).slice(0, 200) };
  }
})()`;

/** All probes of one status-check round (jitsi-interop.md §1), each one null when it throws. */
const SNAPSHOT_SCRIPT = `(() => {
  const probe = (f) => { try { const v = f(); return v === undefined ? null : v; } catch (e) { return null; } };
  const visible = () => APP.conference._room.getParticipants()
    .filter((p) => !(p.isHidden() || p.isHiddenFromRecorder()));
  const isBot = (p) => { try { return p.getProperty('features_jigasi') === true; } catch (e) { return false; } };
  return {
    joined: probe(() => APP.conference._room.isJoined()),
    participantCount: probe(() => visible().length + 1),
    downloadKbps: probe(() => APP.conference.getStats().bitrate.download),
    iceConnected: probe(() => APP.conference.getConnectionState() === 'connected'),
    allMuted: probe(() => visible().every((p) => (p.isAudioMuted() && p.isVideoMuted()) || isBot(p))),
    e2ee: probe(() => {
      const room = APP.conference._room;
      if (!room) throw new Error('no conference');
      return typeof room.isE2EEEnabled === 'function' ? room.isE2EEEnabled() === true : false;
    }),
  };
})()`;

/** The visible participant count plus the recorder, or null when it cannot be read (the empty-call probe). */
const COUNT_SCRIPT = `(() => {
  try {
    return APP.conference._room.getParticipants().filter((p) => !(p.isHidden() || p.isHiddenFromRecorder())).length + 1;
  } catch (e) {
    return null;
  }
})()`;

/**
 * Everyone seen since the first call (kept in window.__scribaParticipants, fed by the current member list and
 * by muc_member_joined / display_name_changed listeners so short visits between polls are not lost).
 * Hidden members (hidden domain: recorders, transcribers) are skipped; hidden-from-recorder ones are flagged.
 * Returns null when there is no conference.
 */
const PARTICIPANTS_SCRIPT = `(() => {
  try {
    const conference = APP.conference._room;
    if (!conference) return null;
    const chat = conference.room || null;
    const resourceOf = (jid) => String(jid).split('/').pop();
    const userOf = (identity) => (identity && typeof identity === 'object' && identity.user && typeof identity.user === 'object') ? identity.user : null;
    let seen = window.__scribaParticipants;
    const remember = (id, name, hiddenFromRecorder) => {
      if (!id) return;
      const prev = seen.get(id);
      seen.set(id, {
        id: String(id),
        name: (typeof name === 'string' && name !== '') ? name : (prev ? prev.name : null),
        hiddenFromRecorder: Boolean(hiddenFromRecorder) || Boolean(prev && prev.hiddenFromRecorder),
      });
    };
    if (!(seen instanceof Map)) {
      seen = new Map();
      window.__scribaParticipants = seen;
      try {
        chat.addListener('xmpp.muc_member_joined', (from, nick, role, hidden, statsId, status, identity) => {
          try {
            if (hidden) return;
            const user = userOf(identity);
            remember(resourceOf(from), nick || (user && user.name), Boolean(user && user['hidden-from-recorder']));
          } catch (e) {}
        });
        chat.addListener('xmpp.display_name_changed', (jid, displayName) => {
          try {
            const id = resourceOf(jid);
            const prev = seen.get(id);
            if (prev && typeof displayName === 'string' && displayName !== '') seen.set(id, { ...prev, name: displayName });
          } catch (e) {}
        });
      } catch (e) {}
    }
    const members = (chat && chat.members && typeof chat.members === 'object') ? chat.members : {};
    for (const jid of Object.keys(members)) {
      try {
        const m = members[jid];
        if (!m || m.isHiddenDomain) continue;
        const user = userOf(m.identity);
        remember(resourceOf(jid), m.nick || (user && user.name), Boolean(user && user['hidden-from-recorder']));
      } catch (e) {}
    }
    for (const p of conference.getParticipants()) {
      try {
        if (p.isHidden()) continue;
        let identityName = null;
        try {
          const m = members[p.getJid()];
          const user = userOf(m && m.identity);
          identityName = user && user.name;
        } catch (e) {}
        let hiddenFromRecorder = false;
        try { hiddenFromRecorder = p.isHiddenFromRecorder() === true; } catch (e) {}
        remember(p.getId(), p.getDisplayName() || identityName, hiddenFromRecorder);
      } catch (e) {}
    }
    return Array.from(seen.values());
  } catch (e) {
    return null;
  }
})()`;

function presenceScript(tags: Record<string, string>): string {
  // JSON is valid JavaScript: the tags arrive as data, never as code.
  return `(() => {
  try {
    const chat = APP.conference._room.room;
    const tags = ${JSON.stringify(tags)};
    for (const key of Object.keys(tags)) chat.addOrReplaceInPresence(key, { value: tags[key] });
    chat.sendPresence();
    return true;
  } catch (e) {
    return false;
  }
})()`;
}

/** Posts a group chat message as the recorder (lib-jitsi-meet JitsiConference.sendTextMessage). */
function announceScript(text: string): string {
  return `(() => {
  try {
    APP.conference._room.sendTextMessage(${JSON.stringify(text)});
    return true;
  } catch (e) {
    return false;
  }
})()`;
}

/** lib-jitsi-meet's `<json-message xmlns="http://jitsi.org/jitmeet">` groupchat (how Jigasi sends subtitles). */
function jsonMessageScript(payload: unknown): string {
  return `(() => {
  try {
    APP.conference._room.sendMessage(${JSON.stringify(JSON.stringify(payload))}, 'json-message');
    return true;
  } catch (e) {
    return false;
  }
})()`;
}

const LEAVE_SCRIPT = `(async () => {
  try {
    await APP.conference._room.leave();
    return true;
  } catch (e) {
    return false;
  }
})()`;

// ---------------------------------------------------------------------------------------------------------
// Audio tap (docs/audio-tap.md): each visible remote participant's audio track → 16 kHz mono Int16 chunks,
// handed to Node through an exposed function. Hidden and hidden-from-recorder participants are never tapped.
// ---------------------------------------------------------------------------------------------------------

/** The audio tap's output rate: what both speech engines take (LINEAR16 mono). */
export const AUDIO_TAP_SAMPLE_RATE = 16_000;
export const DEFAULT_AUDIO_TAP_CHUNK_MS = 200;
const AUDIO_TAP_START_TIMEOUT_MS = 10_000;
/** How long the tap's start waits for a first remote audio track to judge whether tracks are readable. */
const TRACK_PROBE_WAIT_MS = 3000;
const AUDIO_TAP_STOP_TIMEOUT_MS = 5_000;

/**
 * Downmix + resample + Int16 + batching, shared by the AudioWorklet and the ScriptProcessor fallback.
 * Resampling: an averaging decimator with integer phase (exact long-run rate). When the AudioContext itself
 * runs at 16 kHz (the usual case) Chromium's own resampler did the work and this is a 1:1 copy.
 * Chunks say whether they follow the previous one without a gap (`continuous`); muting cuts the run.
 */
export const AUDIO_TAP_CORE_SOURCE = `class ScribaTapCore {
  constructor(inRate, outRate, chunkSamples, post) {
    this.inRate = Math.round(inRate); this.outRate = Math.round(outRate); this.chunkSamples = chunkSamples;
    this.post = post; this.buf = new Int16Array(chunkSamples); this.fill = 0; this.startTime = 0;
    this.phase = 0; this.acc = 0; this.cnt = 0; this.continuous = false; this.muted = false; this.stopped = false;
  }
  push(channels, time) {
    if (this.stopped) return;
    const k = channels ? channels.length : 0;
    const n = k > 0 && channels[0] ? channels[0].length : 0;
    if (this.muted || n === 0) { this.gap(); return; }
    for (let i = 0; i < n; i++) {
      let x = 0;
      for (let c = 0; c < k; c++) x += channels[c][i];
      this.acc += x / k; this.cnt += 1; this.phase += this.outRate;
      if (this.phase >= this.inRate) {
        const v = this.acc / this.cnt; this.acc = 0; this.cnt = 0;
        const t = time + i / this.inRate;
        while (this.phase >= this.inRate) { this.phase -= this.inRate; this.emit(v, t); }
      }
    }
  }
  emit(v, t) {
    if (this.fill === 0) this.startTime = t;
    this.buf[this.fill++] = v <= -1 ? -32768 : v >= 1 ? 32767 : Math.round(v < 0 ? v * 32768 : v * 32767);
    if (this.fill === this.chunkSamples) this.flush();
  }
  flush() {
    if (this.fill === 0) return;
    const pcm = this.buf.slice(0, this.fill);
    this.post({ type: 'chunk', startTime: this.startTime, continuous: this.continuous, samples: this.fill, pcm: pcm.buffer });
    this.continuous = true; this.fill = 0;
  }
  gap() { this.flush(); this.continuous = false; this.phase = 0; this.acc = 0; this.cnt = 0; }
  setMuted(muted) { if (muted && !this.muted) this.gap(); this.muted = muted; }
  stop() { if (this.stopped) return; this.flush(); this.stopped = true; this.post({ type: 'stopped' }); }
}`;

/** The AudioWorklet module (loaded from a Blob URL; `sampleRate` and `currentTime` are worklet globals). */
export const AUDIO_TAP_WORKLET_SOURCE = `${AUDIO_TAP_CORE_SOURCE}
registerProcessor('scriba-audio-tap', class extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = (options && options.processorOptions) || {};
    this.core = new ScribaTapCore(sampleRate, o.outRate, o.chunkSamples, (m) => {
      try { if (m.pcm) this.port.postMessage(m, [m.pcm]); else this.port.postMessage(m); } catch (e) {}
    });
    this.core.muted = Boolean(o.muted);
    this.port.onmessage = (e) => {
      const d = e.data || {};
      if (d.type === 'mute') this.core.setMuted(Boolean(d.muted));
      else if (d.type === 'stop') this.core.stop();
    };
  }
  process(inputs) {
    if (this.core.stopped) return false;
    try { this.core.push(inputs[0], currentTime); } catch (e) {}
    return true;
  }
});`;

/**
 * Installs the tap (window.__scribaAudioTap) and resolves `{ ok, ... }`; never throws. Messages to Node, through
 * window[binding](message):
 *   { type: 'participant', id, name, state: 'joined' | 'renamed' | 'left' }
 *   { type: 'chunk', id, startEpochMs, continuous, sampleRate, pcm: base64 Int16 LE }
 *   { type: 'status', message }
 */
function audioTapStartScript(binding: string, chunkSamples: number): string {
  return `(async () => {
  try {
    const old = window.__scribaAudioTap;
    if (old && !old.stopped) return { ok: false, reason: 'already_running', detail: 'the audio tap is already running' };
    const send = window[${JSON.stringify(binding)}];
    if (typeof send !== 'function') return { ok: false, reason: 'failed', detail: 'no binding' };
    const post = (m) => { try { const p = send(m); if (p && p.catch) p.catch(() => {}); } catch (e) {} };
    let room = null;
    try { room = APP.conference._room; } catch (e) {}
    if (!room || typeof room.getParticipants !== 'function') return { ok: false, reason: 'no_conference', detail: 'APP.conference._room is missing' };
    // Audio tracks that hand out no MediaStream(Track) (a lib-jitsi-meet build that hides them): nobody could
    // ever be tapped, so fail now and let the recorder transcribe the mixed audio. Remote tracks arrive after
    // the join, so wait up to ${TRACK_PROBE_WAIT_MS} ms for the first one; none by then: start (the verdict is then never made).
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
      } catch (e) {}
      return { all, readable };
    };
    let probe = audioTracks();
    for (let waited = 0; probe.all === 0 && waited < ${TRACK_PROBE_WAIT_MS}; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
      probe = audioTracks();
    }
    if (probe.all > 0 && probe.readable === 0) return { ok: false, reason: 'failed', detail: 'remote audio tracks expose no MediaStream' };
    const OUT_RATE = ${AUDIO_TAP_SAMPLE_RATE};
    const CHUNK = ${chunkSamples};
    let ctx;
    try { ctx = new AudioContext({ sampleRate: OUT_RATE, latencyHint: 'playback' }); }
    catch (e) {
      try { ctx = new AudioContext({ latencyHint: 'playback' }); }
      catch (e2) { return { ok: false, reason: 'no_audio_context', detail: String(e2 && e2.message || e2).slice(0, 200) }; }
    }
    ${AUDIO_TAP_CORE_SOURCE}
    let processor = 'audio-worklet';
    try {
      const url = URL.createObjectURL(new Blob([${JSON.stringify(AUDIO_TAP_WORKLET_SOURCE)}], { type: 'text/javascript' }));
      try { await ctx.audioWorklet.addModule(url); } finally { URL.revokeObjectURL(url); }
    } catch (e) { processor = 'script-processor'; }
    // The recorder runs with --autoplay-policy=no-user-gesture-required; resume() in case it does not.
    try { await Promise.race([ctx.resume(), new Promise((r) => setTimeout(r, 2000))]); } catch (e) {}
    // A zero gain into the destination keeps every tap node pulled by the render graph, silently.
    const sink = ctx.createGain();
    sink.gain.value = 0;
    sink.connect(ctx.destination);

    // Context time → epoch ms: the output timestamp says when a context time is heard, which is when the same
    // audio played by Meet's own <audio> elements is heard (and recorded).
    const epochOf = (t) => {
      try {
        const ts = ctx.getOutputTimestamp();
        if (ts && ts.performanceTime > 0 && ts.contextTime > 0) return performance.timeOrigin + ts.performanceTime + (t - ts.contextTime) * 1000;
      } catch (e) {}
      return performance.timeOrigin + performance.now() - (ctx.currentTime - t) * 1000;
    };
    const toBase64 = (buffer) => {
      const bytes = new Uint8Array(buffer);
      if (typeof bytes.toBase64 === 'function') return bytes.toBase64();
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
      return btoa(s);
    };

    const state = { stopped: false, ctx, taps: new Map(), offs: [], timer: null, processor, errors: 0, draining: new Set() };
    window.__scribaAudioTap = state;
    const onChunk = (tap, m) => {
      post({ type: 'chunk', id: tap.id, startEpochMs: epochOf(m.startTime), continuous: Boolean(m.continuous),
        sampleRate: OUT_RATE, pcm: toBase64(m.pcm) });
    };

    // One record per attached track; finish() runs once, after the processor's last chunk (or a timeout).
    const attach = (tap, mst) => {
      // Only the audio track: the original stream may hold video too.
      const source = ctx.createMediaStreamSource(new MediaStream([mst]));
      const rec = { source, node: null, control: null, finished: false, then: [] };
      const onMessage = (m) => {
        if (m.type === 'chunk') onChunk(tap, m);
        else if (m.type === 'stopped') finish(rec);
      };
      if (processor === 'audio-worklet') {
        rec.node = new AudioWorkletNode(ctx, 'scriba-audio-tap', {
          numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1],
          // explicit mono input: the graph downmixes (speakers rules) before the processor sees it
          channelCount: 1, channelCountMode: 'explicit', channelInterpretation: 'speakers',
          processorOptions: { outRate: OUT_RATE, chunkSamples: CHUNK, muted: tap.muted },
        });
        rec.node.port.onmessage = (e) => { if (e.data) onMessage(e.data); };
        rec.control = (msg) => rec.node.port.postMessage(msg);
      } else {
        rec.node = ctx.createScriptProcessor(4096, 1, 1);
        const core = new ScribaTapCore(ctx.sampleRate, OUT_RATE, CHUNK, onMessage);
        core.muted = tap.muted;
        rec.node.onaudioprocess = (e) => {
          try {
            const b = e.inputBuffer;
            const chans = [];
            for (let c = 0; c < b.numberOfChannels; c++) chans.push(b.getChannelData(c));
            // playbackTime is when this block's output plays; its input arrived one buffer earlier.
            core.push(chans, e.playbackTime - b.length / ctx.sampleRate);
          } catch (err) {}
        };
        rec.control = (msg) => { if (msg.type === 'mute') core.setMuted(msg.muted); else if (msg.type === 'stop') core.stop(); };
      }
      source.connect(rec.node);
      rec.node.connect(sink);
      tap.mst = mst;
      tap.rec = rec;
    };
    const finish = (rec) => {
      if (rec.finished) return;
      rec.finished = true;
      state.draining.delete(rec);
      try { rec.source.disconnect(); } catch (e) {}
      try { rec.node.disconnect(); } catch (e) {}
      for (const f of rec.then) try { f(); } catch (e) {}
    };
    // Stops the tap's processor; \`then\` runs after its last partial chunk was posted.
    const detach = (tap, then) => {
      const rec = tap.rec;
      tap.mst = null;
      tap.rec = null;
      if (!rec) { if (then) then(); return; }
      if (then) rec.then.push(then);
      state.draining.add(rec);
      try { rec.control({ type: 'stop' }); } catch (e) {}
      setTimeout(() => finish(rec), 1000); // a suspended context never answers
    };
    const setMuted = (tap, muted) => {
      if (tap.muted === muted) return;
      tap.muted = muted;
      if (tap.rec) try { tap.rec.control({ type: 'mute', muted }); } catch (e) {}
    };

    const userOf = (identity) => (identity && typeof identity === 'object' && identity.user && typeof identity.user === 'object') ? identity.user : null;
    // Hidden, hidden from the recorder, or unknowable: never tapped.
    const isHidden = (p) => {
      try {
        if (typeof p.isHidden === 'function' && p.isHidden()) return true;
        if (typeof p.isHiddenFromRecorder === 'function' && p.isHiddenFromRecorder()) return true;
        const members = room.room && room.room.members;
        const m = members && typeof p.getJid === 'function' ? members[p.getJid()] : null;
        const user = userOf(m && m.identity);
        return Boolean(user && user['hidden-from-recorder']);
      } catch (e) {
        return true;
      }
    };
    const nameOf = (p) => { try { const n = p.getDisplayName(); return typeof n === 'string' && n !== '' ? n : null; } catch (e) { return null; } };
    const audioOf = (p) => {
      let tracks = [];
      try { tracks = p.getTracksByMediaType('audio') || []; } catch (e) {}
      for (const t of tracks) {
        let mst = null;
        try { mst = t.getTrack(); } catch (e) {}
        if (!mst) try { const s = t.getOriginalStream(); mst = s && s.getAudioTracks()[0]; } catch (e) {}
        if (mst && mst.kind === 'audio' && mst.readyState === 'live') {
          let muted = false;
          try { muted = typeof t.isMuted === 'function' ? t.isMuted() === true : p.isAudioMuted() === true; } catch (e) {}
          return { mst, muted };
        }
      }
      return null;
    };

    const sync = () => {
      if (state.stopped) return;
      const seen = new Set();
      let list = [];
      try { list = room.getParticipants() || []; } catch (e) { state.errors++; }
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
              tap.muted = audio.muted;
              try { attach(tap, mst); } catch (e) { state.errors++; post({ type: 'status', message: 'tap ' + id + ': ' + String(e && e.message || e).slice(0, 200) }); }
            }
          }
          setMuted(tap, audio ? audio.muted : true);
        } catch (e) { state.errors++; }
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

    const events = (window.JitsiMeetJS && JitsiMeetJS.events && JitsiMeetJS.events.conference) || {};
    const names = [
      events.TRACK_ADDED || 'conference.trackAdded', events.TRACK_REMOVED || 'conference.trackRemoved',
      events.TRACK_MUTE_CHANGED || 'conference.trackMuteChanged', events.USER_JOINED || 'conference.userJoined',
      events.USER_LEFT || 'conference.userLeft', events.DISPLAY_NAME_CHANGED || 'conference.displayNameChanged',
    ];
    // Events only schedule a sync (after the emitter's other listeners ran): one code path for every change.
    let pending = false;
    const schedule = () => { if (pending) return; pending = true; setTimeout(() => { pending = false; sync(); }, 0); };
    const on = room.on || room.addEventListener;
    const off = room.off || room.removeEventListener;
    for (const name of names) {
      try { on.call(room, name, schedule); state.offs.push(() => off.call(room, name, schedule)); } catch (e) {}
    }
    // Safety net for anything the events missed (a track ending on its own, a renamed member).
    state.timer = setInterval(sync, 1000);
    sync();
    return { ok: true, processor, contextSampleRate: ctx.sampleRate, state: ctx.state };
  } catch (e) {
    return { ok: false, reason: 'failed', detail: String(e && e.message || e).slice(0, 200) };
  }
})()`;
}

/** Flushes and removes the tap; resolves the number of participants it was tapping, or null. Never throws. */
const AUDIO_TAP_STOP_SCRIPT = `(async () => {
  try {
    const state = window.__scribaAudioTap;
    if (!state || state.stopped) return null;
    state.stopped = true;
    clearInterval(state.timer);
    for (const off of state.offs) try { off(); } catch (e) {}
    const count = state.taps.size;
    const drained = [];
    for (const tap of state.taps.values()) {
      drained.push(new Promise((resolve) => { try { state.detach(tap, resolve); } catch (e) { resolve(); } }));
    }
    state.taps.clear();
    // Each processor's last partial chunk reaches the main thread within a render callback or two.
    await Promise.race([Promise.all(drained), new Promise((r) => setTimeout(r, 1500))]);
    try { await state.ctx.close(); } catch (e) {}
    delete window.__scribaAudioTap;
    return count;
  } catch (e) {
    return null;
  }
})()`;

export type AudioTapStartResult =
  | { ok: true; processor: 'audio-worklet' | 'script-processor'; contextSampleRate: number }
  | { ok: false; reason: 'no_conference' | 'no_audio_context' | 'already_running' | 'page_unavailable' | 'failed'; detail: string };

export interface AudioTapStartOptions {
  /** Samples per chunk = chunkMs × 16; default 200 ms, clamped to 20..1000 ms. */
  chunkMs?: number;
  timeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------------------

/** XML element names Meet can put in presence; anything else would break the stanza. */
const PRESENCE_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

type RunResult =
  | { kind: 'ok'; value: unknown }
  | { kind: 'failed'; error: unknown }
  | { kind: 'timeout' }
  | { kind: 'dead'; error: ScribaError }
  | { kind: 'aborted' };

export interface OpenOptions {
  signal?: AbortSignal;
  /** Until the page's load event; default 60 s (Jibri's page load timeout). */
  timeoutMs?: number;
}

export interface WaitForJoinOptions {
  signal?: AbortSignal;
  /** Default 30 s (Jibri). */
  timeoutMs?: number;
  /** Default 500 ms. */
  pollMs?: number;
}

function abortError(signal: AbortSignal): ScribaError {
  return new ScribaError('aborted', 'the operation was aborted', { cause: signal.reason });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
}

/** Errors that mean the tab or the DevTools connection is gone (not merely a navigation). */
function isDeathError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'TargetCloseError' || err.name === 'ConnectionClosedError') return true;
  return /Target closed|Session closed|Connection closed|has been closed|browser has disconnected|Page crashed|Target crashed/i.test(
    err.message,
  );
}

export class MeetingPage {
  readonly #page: Page;
  readonly #browser: Browser;
  readonly #death: Promise<ScribaError>;
  #resolveDeath: (error: ScribaError) => void = () => undefined;
  #deathError: ScribaError | null = null;
  /** Waiters of in-flight races; removed when each race ends, so hours of polling accumulate nothing. */
  readonly #deathWaiters = new Set<(error: ScribaError) => void>();
  readonly #cleanups: Array<() => void> = [];
  /** The exposed function's name while the audio tap runs. */
  #audioTapBinding: string | null = null;

  private constructor(page: Page) {
    this.#page = page;
    this.#browser = page.browser();
    this.#death = new Promise<ScribaError>((resolve) => {
      this.#resolveDeath = resolve;
    });
  }

  /** A promise settled with `map(error)` when the page dies, and its cancel (call it when the race is over). */
  #deathRace<T>(map: (error: ScribaError) => T): { promise: Promise<T>; cancel: () => void } {
    let waiter: ((error: ScribaError) => void) | undefined;
    const promise = new Promise<T>((resolve) => {
      const dead = this.#deathError;
      if (dead) {
        resolve(map(dead));
        return;
      }
      waiter = (error) => resolve(map(error));
      this.#deathWaiters.add(waiter);
    });
    return {
      promise,
      cancel: () => {
        if (waiter) this.#deathWaiters.delete(waiter);
      },
    };
  }

  /** Wraps a tab. Watches for its death and answers dialogs (a dialog would block every probe). */
  static async create(page: Page): Promise<MeetingPage> {
    const mp = new MeetingPage(page);
    mp.#watch();
    return mp;
  }

  /** True once the tab was closed, its renderer crashed or the browser disconnected. */
  get isDead(): boolean {
    return this.#deathError !== null;
  }

  /** Resolves (never rejects) with the reason when the page dies; stays pending while it lives. */
  whenDead(): Promise<ScribaError> {
    return this.#death;
  }

  #watch(): void {
    const page = this.#page;
    const onClose = (): void => void this.#markDead('the meeting tab was closed');
    const onCrash = (err: unknown): void => void this.#markDead(`the meeting tab crashed: ${messageOf(err)}`, err);
    const onDisconnect = (): void => void this.#markDead('the browser disconnected');
    const onDialog = (dialog: Dialog): void => {
      // beforeunload must be accepted or leaving/closing blocks; alerts and prompts are dismissed.
      const answer = dialog.type() === 'beforeunload' ? dialog.accept() : dialog.dismiss();
      answer.catch(() => undefined);
    };
    page.on('close', onClose);
    page.on('error', onCrash);
    page.on('dialog', onDialog);
    this.#browser.on('disconnected', onDisconnect);
    this.#cleanups.push(
      () => page.off('close', onClose),
      () => page.off('error', onCrash),
      () => page.off('dialog', onDialog),
      () => this.#browser.off('disconnected', onDisconnect),
    );
    if (page.isClosed()) onClose();
    else if (!this.#browser.connected) onDisconnect();
  }

  #markDead(message: string, cause?: unknown): ScribaError {
    if (this.#deathError) return this.#deathError;
    const error = new ScribaError('browser_crashed', message, { scope: 'session', retryable: true, cause });
    this.#deathError = error;
    for (const cleanup of this.#cleanups.splice(0)) {
      try {
        cleanup();
      } catch {
        // listener removal cannot matter any more
      }
    }
    this.#resolveDeath(error);
    for (const waiter of [...this.#deathWaiters]) waiter(error);
    this.#deathWaiters.clear();
    return error;
  }

  /** One evaluation raced against its timeout, page death and the signal. */
  async #run(script: string, timeoutMs: number, signal?: AbortSignal): Promise<RunResult> {
    if (this.#deathError) return { kind: 'dead', error: this.#deathError };
    if (signal?.aborted) return { kind: 'aborted' };
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const death = this.#deathRace((error): RunResult => ({ kind: 'dead', error }));
    const evaluation = this.#page.evaluate(script).then(
      (value): RunResult => ({ kind: 'ok', value }),
      (error: unknown): RunResult => ({ kind: 'failed', error }),
    );
    const racers: Array<Promise<RunResult>> = [
      evaluation,
      new Promise<RunResult>((resolve) => {
        timer = setTimeout(() => resolve({ kind: 'timeout' }), Math.max(0, timeoutMs));
      }),
      death.promise,
    ];
    if (signal) {
      racers.push(
        new Promise<RunResult>((resolve) => {
          onAbort = () => resolve({ kind: 'aborted' });
          signal.addEventListener('abort', onAbort, { once: true });
        }),
      );
    }
    try {
      const result = await Promise.race(racers);
      if (result.kind === 'failed' && (isDeathError(result.error) || this.#page.isClosed() || !this.#browser.connected)) {
        return { kind: 'dead', error: this.#markDead(`the meeting page is gone: ${messageOf(result.error)}`, result.error) };
      }
      return result;
    } finally {
      clearTimeout(timer);
      death.cancel();
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Navigates to the meeting URL and waits for the load event. Only http(s) URLs are opened.
   * Errors: page_load_failed (retryable, except HTTP 4xx), browser_crashed, aborted, invalid_request.
   */
  async open(url: string, opts: OpenOptions = {}): Promise<void> {
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw new ScribaError('invalid_request', 'the meeting URL is not a valid URL');
    }
    if (protocol !== 'https:' && protocol !== 'http:') {
      throw new ScribaError('invalid_request', `refusing to open a ${protocol} URL in the recorder`);
    }
    const { signal } = opts;
    if (this.#deathError) throw this.#deathError;
    if (signal?.aborted) throw abortError(signal);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_PAGE_LOAD_TIMEOUT_MS;
    const navigation = this.#page.goto(url, { waitUntil: 'load', timeout: timeoutMs, ...(signal ? { signal } : {}) }).then(
      (response) => ({ kind: 'ok' as const, response }),
      (error: unknown) => ({ kind: 'failed' as const, error }),
    );
    const death = this.#deathRace((error) => ({ kind: 'dead' as const, error }));
    const outcome = await Promise.race([navigation, death.promise]).finally(death.cancel);
    if (outcome.kind === 'dead') throw outcome.error;
    if (outcome.kind === 'failed') {
      if (signal?.aborted) throw abortError(signal);
      if (this.#deathError) throw this.#deathError;
      if (isDeathError(outcome.error) || this.#page.isClosed() || !this.#browser.connected) {
        throw this.#markDead(`the meeting page is gone: ${navigationErrorDetail(messageOf(outcome.error))}`, outcome.error);
      }
      const timedOut = outcome.error instanceof Error && outcome.error.name === 'TimeoutError';
      const detail = timedOut ? `not loaded after ${timeoutMs} ms` : navigationErrorDetail(messageOf(outcome.error));
      throw new ScribaError('page_load_failed', `the meeting page failed to load: ${detail}`, {
        retryable: true,
        cause: outcome.error,
      });
    }
    const status = outcome.response?.status() ?? 0;
    if (status >= 400) {
      throw new ScribaError('page_load_failed', `the meeting page answered HTTP ${status}`, { retryable: status >= 500 || status === 429 });
    }
  }

  /**
   * Polls `APP.conference._room.isJoined()` until true. Rejects with join_timeout (retryable) after
   * `timeoutMs`, browser_crashed as soon as the page dies, aborted on the signal.
   * Once joined, starts the participant tracker (best effort).
   */
  async waitForJoin(opts: WaitForJoinOptions = {}): Promise<void> {
    const { signal } = opts;
    const timeoutMs = opts.timeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS;
    const pollMs = Math.max(10, opts.pollMs ?? DEFAULT_JOIN_POLL_MS);
    const deadline = performance.now() + timeoutMs;
    let lastProblem = 'no answer from the page yet';
    let answered = false;
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      const budget = Math.min(remaining, SINGLE_PROBE_TIMEOUT_MS);
      const result = await this.#run(JOINED_SCRIPT, budget, signal);
      switch (result.kind) {
        case 'dead':
          throw result.error;
        case 'aborted':
          throw abortError(signal ?? AbortSignal.abort());
        case 'timeout':
          // A probe cut short by the overall deadline says less than the previous answer.
          if (budget === SINGLE_PROBE_TIMEOUT_MS || !answered)
            lastProblem = `the page did not answer the join probe within ${Math.round(budget)} ms`;
          break;
        case 'failed':
          answered = true;
          lastProblem = `the join probe failed: ${messageOf(result.error)}`;
          break;
        case 'ok': {
          answered = true;
          const v = result.value as { joined?: unknown; error?: unknown } | null;
          if (v && v.joined === true) {
            await this.participants().catch(() => null); // start tracking everyone seen from now on
            return;
          }
          lastProblem = v && typeof v.error === 'string' ? `not joined yet (${v.error})` : 'not joined yet';
          break;
        }
      }
      const wait = Math.min(pollMs, deadline - performance.now());
      if (wait > 0) await this.#sleep(wait, signal);
    }
    throw new ScribaError('join_timeout', `the recorder did not join the meeting within ${timeoutMs} ms: ${lastProblem}`, {
      retryable: true,
    });
  }

  /** Sleeps, waking early (and throwing) on page death or abort. */
  async #sleep(ms: number, signal?: AbortSignal): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const death = this.#deathRace(() => 'dead' as const);
    try {
      const outcome = await Promise.race([
        new Promise<'slept'>((resolve) => {
          timer = setTimeout(() => resolve('slept'), ms);
        }),
        death.promise,
        new Promise<'aborted'>((resolve) => {
          if (!signal) return;
          onAbort = () => resolve('aborted');
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
      if (outcome === 'dead' && this.#deathError) throw this.#deathError;
      if (outcome === 'aborted' && signal) throw abortError(signal);
    } finally {
      clearTimeout(timer);
      death.cancel();
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * One probe round in a single evaluation. Null fields: that probe threw. pageResponsive false: the evaluation
   * did not answer within `timeoutMs` (default 10 s). Rejects (browser_crashed) only when the page is dead.
   */
  async snapshot(opts: { timeoutMs?: number } = {}): Promise<ProbeSnapshot> {
    const result = await this.#run(SNAPSHOT_SCRIPT, opts.timeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS);
    switch (result.kind) {
      case 'ok':
        return parseProbeSnapshot(result.value);
      case 'timeout':
        return unknownSnapshot(false);
      case 'dead':
        throw result.error;
      case 'failed': // e.g. the execution context was replaced by a navigation: answered, but nothing known
      case 'aborted':
        return unknownSnapshot(true);
    }
  }

  /** Visible participants plus the recorder; null when unknown (no conference, page hung or dead). Never rejects. */
  async participantCount(opts: { timeoutMs?: number } = {}): Promise<number | null> {
    const result = await this.#run(COUNT_SCRIPT, opts.timeoutMs ?? 900);
    return result.kind === 'ok' && typeof result.value === 'number' && Number.isFinite(result.value) ? result.value : null;
  }

  /**
   * Non-hidden members seen since joining (including those who left), for metadata.json; members on the
   * hidden domain are left out, hidden-from-recorder ones are flagged. Null when unknown (no conference, page
   * hung or dead).
   */
  async participants(opts: { timeoutMs?: number } = {}): Promise<MeetingParticipant[] | null> {
    const result = await this.#run(PARTICIPANTS_SCRIPT, opts.timeoutMs ?? PARTICIPANTS_TIMEOUT_MS);
    return result.kind === 'ok' ? parseParticipants(result.value) : null;
  }

  /**
   * Adds or replaces each tag in the recorder's own presence, then sends presence once (Jibri: session_id,
   * mode, live-stream-view-url). Resolves whether it worked; false for keys that are not XML names.
   */
  async setPresence(tags: Record<string, string>, opts: { timeoutMs?: number } = {}): Promise<boolean> {
    const entries = Object.entries(tags);
    if (entries.length === 0) return true;
    if (!entries.every(([k, v]) => PRESENCE_KEY.test(k) && typeof v === 'string')) return false;
    const result = await this.#run(presenceScript(Object.fromEntries(entries)), opts.timeoutMs ?? PRESENCE_TIMEOUT_MS);
    return result.kind === 'ok' && result.value === true;
  }

  /**
   * Tells everyone in the meeting, in its chat, that it is being recorded: needed when the session was not
   * started through Jicofo, whose recording status Meet would otherwise show. Never rejects.
   */
  async announce(text: string, opts: { timeoutMs?: number } = {}): Promise<boolean> {
    try {
      const result = await this.#run(announceScript(text), opts.timeoutMs ?? PRESENCE_TIMEOUT_MS);
      return result.kind === 'ok' && result.value === true;
    } catch {
      return false;
    }
  }

  /** Sends a JSON payload as a `<json-message>` to the room (subtitles, jitsi-interop.md §6). Never rejects. */
  async sendJsonMessage(payload: unknown, opts: { timeoutMs?: number } = {}): Promise<boolean> {
    try {
      const result = await this.#run(jsonMessageScript(payload), opts.timeoutMs ?? PRESENCE_TIMEOUT_MS);
      return result.kind === 'ok' && result.value === true;
    } catch {
      return false;
    }
  }

  /** `APP.conference._room.leave()`, waited for up to `timeoutMs` (default 5 s). Never rejects. */
  async leave(opts: { timeoutMs?: number } = {}): Promise<boolean> {
    try {
      const result = await this.#run(LEAVE_SCRIPT, opts.timeoutMs ?? DEFAULT_LEAVE_TIMEOUT_MS);
      return result.kind === 'ok' && result.value === true;
    } catch {
      return false;
    }
  }

  /**
   * Starts the audio tap (docs/audio-tap.md): every visible remote participant's audio, as 16 kHz mono Int16
   * chunks, delivered to `onMessage` as the page's raw messages (decode them with src/transcription/pcm-chunk.ts).
   * Follows joins, leaves, renames and mutes by itself. Never rejects: `{ ok: false, reason }` says why there is
   * no per-participant audio (e.g. no lib-jitsi-meet API: fall back to the mixed audio).
   */
  async startAudioTap(onMessage: (message: unknown) => void, opts: AudioTapStartOptions = {}): Promise<AudioTapStartResult> {
    if (this.#deathError) return { ok: false, reason: 'page_unavailable', detail: this.#deathError.message };
    if (this.#audioTapBinding !== null) return { ok: false, reason: 'already_running', detail: 'the audio tap is already running' };
    // A fresh name per start: an exposed function cannot be re-added under a name puppeteer still knows.
    const binding = `__scribaAudioTap_${randomUUID().replaceAll('-', '')}`;
    this.#audioTapBinding = binding;
    const exposed = await this.#settle(
      this.#page.exposeFunction(binding, (message: unknown) => {
        try {
          onMessage(message);
        } catch {
          // a listener's failure must not reach puppeteer's binding plumbing
        }
      }),
      SINGLE_PROBE_TIMEOUT_MS,
    );
    if (exposed.kind !== 'ok') {
      this.#audioTapBinding = null;
      return {
        ok: false,
        reason: exposed.kind === 'dead' ? 'page_unavailable' : 'failed',
        detail: `could not expose the tap's function (${exposed.kind})`,
      };
    }
    const chunkMs = Math.min(1000, Math.max(20, opts.chunkMs ?? DEFAULT_AUDIO_TAP_CHUNK_MS));
    const chunkSamples = Math.round((chunkMs * AUDIO_TAP_SAMPLE_RATE) / 1000);
    const result = await this.#run(audioTapStartScript(binding, chunkSamples), opts.timeoutMs ?? AUDIO_TAP_START_TIMEOUT_MS);
    const started = parseAudioTapStart(result);
    if (!started.ok) await this.stopAudioTap(); // a timed-out start may still finish in the page
    return started;
  }

  /** Flushes every participant's last chunk, then removes the tap. Resolves whether a tap was running; never rejects. */
  async stopAudioTap(opts: { timeoutMs?: number } = {}): Promise<boolean> {
    const binding = this.#audioTapBinding;
    if (binding === null) return false;
    this.#audioTapBinding = null;
    const result = await this.#run(AUDIO_TAP_STOP_SCRIPT, opts.timeoutMs ?? AUDIO_TAP_STOP_TIMEOUT_MS);
    if (!this.#deathError) await this.#settle(this.#page.removeExposedFunction(binding), SINGLE_PROBE_TIMEOUT_MS);
    return result.kind === 'ok' && typeof result.value === 'number';
  }

  /** A puppeteer call raced against a timeout and page death; never rejects. */
  async #settle(work: Promise<unknown>, timeoutMs: number): Promise<{ kind: 'ok' | 'failed' | 'timeout' | 'dead' }> {
    let timer: NodeJS.Timeout | undefined;
    const death = this.#deathRace(() => ({ kind: 'dead' as const }));
    try {
      return await Promise.race([
        work.then(
          () => ({ kind: 'ok' as const }),
          () => ({ kind: 'failed' as const }),
        ),
        new Promise<{ kind: 'timeout' }>((resolve) => {
          timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
        }),
        death.promise,
      ]);
    } finally {
      clearTimeout(timer);
      death.cancel();
    }
  }
}

function parseAudioTapStart(result: RunResult): AudioTapStartResult {
  if (result.kind === 'dead') return { ok: false, reason: 'page_unavailable', detail: result.error.message };
  if (result.kind !== 'ok')
    return {
      ok: false,
      reason: 'failed',
      detail:
        result.kind === 'failed' ? messageOf(result.error) : `the start script ${result.kind === 'timeout' ? 'timed out' : 'was aborted'}`,
    };
  const v = result.value as Record<string, unknown> | null;
  if (v && v['ok'] === true) {
    return {
      ok: true,
      processor: v['processor'] === 'script-processor' ? 'script-processor' : 'audio-worklet',
      contextSampleRate: typeof v['contextSampleRate'] === 'number' ? v['contextSampleRate'] : 0,
    };
  }
  const reasons = ['no_conference', 'no_audio_context', 'already_running', 'failed'] as const;
  const reason = reasons.find((r) => v !== null && typeof v === 'object' && v['reason'] === r) ?? 'failed';
  const detail = v && typeof v['detail'] === 'string' ? v['detail'] : 'the page gave no answer';
  return { ok: false, reason, detail };
}
