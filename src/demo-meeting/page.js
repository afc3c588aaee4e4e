// The synthetic meeting page: plain browser JavaScript, inlined by demo-meeting-server.ts. To a recorder it
// looks like Jitsi Meet: the URL hash flags are parsed like Meet's parseURLParams, appData.localStorageContent
// lands in localStorage, and APP.conference / APP.conference._room answer the probes Jibri makes with
// lib-jitsi-meet's method and event names. Participants are <video> elements looping participant-N.webm.
// Everything received and done is recorded in window.__scribaDemo for tests.
(() => {
  const boot = window.__SCRIBA_DEMO_BOOT__ || { fixtures: null, mediaBase: '/media/' };
  const pageStart = performance.now();
  const since = () => Math.round(performance.now() - pageStart);

  // ---- URL: hash flags (Meet's parseURLParams: split on &, URI-decode, JSON-parse) and query script ----
  function parseHash(hash) {
    const params = {};
    const body = hash.startsWith('#') ? hash.slice(1) : hash;
    for (const part of body.split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const key = eq < 0 ? part : part.slice(0, eq);
      const raw = eq < 0 ? '' : part.slice(eq + 1);
      let decoded;
      try {
        decoded = decodeURIComponent(raw);
      } catch {
        decoded = raw;
      }
      let value;
      try {
        value = decoded === 'undefined' ? undefined : JSON.parse(decoded);
      } catch {
        value = decoded;
      }
      params[key] = value;
    }
    return params;
  }

  function setPath(target, dotted, value) {
    const keys = dotted.split('.');
    let node = target;
    for (let i = 0; i < keys.length - 1; i++) {
      const k = keys[i];
      if (k === '__proto__' || k === 'constructor' || k === 'prototype') return;
      if (typeof node[k] !== 'object' || node[k] === null) node[k] = {};
      node = node[k];
    }
    const last = keys[keys.length - 1];
    if (last === '__proto__' || last === 'constructor' || last === 'prototype') return;
    node[last] = value;
  }

  const hashParams = parseHash(location.hash);
  const config = {};
  const interfaceConfig = {};
  for (const [key, value] of Object.entries(hashParams)) {
    if (key.startsWith('config.')) setPath(config, key.slice(7), value);
    else if (key.startsWith('interfaceConfig.')) setPath(interfaceConfig, key.slice(16), value);
  }
  const iAmRecorder = config.iAmRecorder === true || config.iAmRecorder === 'true';

  const query = new URLSearchParams(location.search);
  const num = (name, fallback) => {
    const v = query.get(name);
    if (v === null || v.trim() === '') return fallback;
    const n = Number(v);
    return Number.isFinite(n) ? n : fallback;
  };
  const flag = (name, fallback) => {
    const v = query.get(name);
    if (v === null) return fallback;
    return !['0', 'false', 'no', 'off'].includes(v.trim().toLowerCase());
  };
  const list = (name) =>
    (query.get(name) || '')
      .split(',')
      .map((s) => Number.parseInt(s.trim(), 10))
      .filter((n) => n >= 1 && n <= 6);
  // "n:seconds,n:seconds" → Map(n → seconds after the join)
  const times = (name) =>
    new Map(
      (query.get(name) || '')
        .split(',')
        .map((s) => s.split(':'))
        .map(([n, t]) => [Number.parseInt(n, 10), Number(t)])
        .filter(([n, t]) => n >= 1 && n <= 6 && Number.isFinite(t) && t >= 0),
    );
  const script = {
    participants: Math.max(0, Math.min(6, Math.floor(num('participants', 3)))),
    leaveAfter: num('leaveAfter', null),
    mediaStopAfter: num('mediaStopAfter', null),
    joinDelay: Math.max(0, num('joinDelay', 0.3)),
    neverJoin: flag('neverJoin', false),
    e2ee: flag('e2ee', false),
    hiddenFromRecorder: list('hiddenFromRecorder'),
    muted: list('muted'),
    sync: flag('sync', true),
    syncRate: Math.max(0.5, Math.min(2, num('syncRate', 1))),
    clock: flag('clock', false),
    // With the clock tile: a beep from each of its marks (CLOCK_TILE.beepHz).
    clockBeep: flag('clockBeep', false),
    // 'camera': camera-like tiles (a moving subject, a panning background, sensor noise, Jitsi's bitrates)
    // instead of the flat-colour ones; the server's default when the query does not say.
    content: (query.get('content') || boot.defaultContent || 'flat') === 'camera' ? 'camera' : 'flat',
    // Tracks without getTrack()/getOriginalStream(): a lib-jitsi-meet build whose per-participant audio the
    // recorder cannot read, so its transcription falls back to the mixed audio.
    noTrackStreams: flag('noTrackStreams', false),
    kickAfter: num('kickAfter', null),
    iceFailAfter: num('iceFailAfter', null),
    // One participant at a time joining late / leaving early, as in any real meeting.
    arrivals: times('arrivals'),
    departures: times('departures'),
  };

  // ---- appData.localStorageContent → localStorage (values stored as given; non-strings as JSON) ----
  const storedLocal = {};
  let lsContent = hashParams['appData.localStorageContent'];
  if (typeof lsContent === 'string') {
    try {
      lsContent = JSON.parse(lsContent);
    } catch {
      /* not JSON: ignored, like Meet */
    }
  }
  if (lsContent && typeof lsContent === 'object' && !Array.isArray(lsContent)) {
    for (const [key, value] of Object.entries(lsContent)) {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      storedLocal[key] = text;
      try {
        localStorage.setItem(key, text);
      } catch {
        /* storage disabled: still recorded */
      }
    }
  }

  // ---- room identity from the path: /room or /tenant/room ----
  const segments = location.pathname
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  const roomName = (segments[segments.length - 1] || 'demo').toLowerCase();
  const tenant = segments.length > 1 ? segments.slice(0, -1).join('/').toLowerCase() : null;
  const domain = location.hostname || 'localhost';
  const roomJid = `${roomName}@conference.${tenant ? `${tenant}.` : ''}${domain}`;
  const myUserId = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('');

  // ---- the record tests read ----
  const demo = {
    version: 1,
    hashParams,
    config,
    interfaceConfig,
    iAmRecorder,
    localStorage: storedLocal,
    presence: {},
    /** Group chat messages sent by the local participant (JitsiConference.sendTextMessage). */
    messages: [],
    /** `<json-message>` payloads sent (JitsiConference.sendMessage(text, 'json-message')): subtitles. */
    jsonMessages: [],
    pendingPresence: {},
    presenceSent: 0,
    jwt: query.get('jwt'),
    room: roomName,
    tenant,
    roomJid,
    myUserId,
    script,
    state: 'connecting',
    joinedAt: null,
    mediaStartedAt: null,
    autoplayBlocked: false,
    driftCorrections: 0,
    /** Wall-clock seconds (ms) whose mark the clock beep was scheduled for (clockBeep=1). */
    clockBeeps: [],
    mediaErrors: [],
    listenerErrors: [],
    events: [],
  };
  window.__scribaDemo = demo;

  // ---- a tiny emitter with the on/off/addEventListener/removeEventListener/addListener spellings ----
  function makeEmitter(prefix) {
    const handlers = new Map();
    const add = (name, fn) => {
      if (typeof fn !== 'function') return () => {};
      if (!handlers.has(name)) handlers.set(name, new Set());
      handlers.get(name).add(fn);
      return () => remove(name, fn);
    };
    const remove = (name, fn) => {
      handlers.get(name)?.delete(fn);
    };
    const emit = (name, ...args) => {
      demo.events.push({ t: since(), source: prefix, name, id: typeof args[0] === 'string' ? args[0] : undefined });
      if (demo.events.length > 1000) demo.events.splice(0, demo.events.length - 1000);
      for (const fn of [...(handlers.get(name) || [])]) {
        try {
          fn(...args);
        } catch (e) {
          demo.listenerErrors.push(`${name}: ${e?.message}`);
        }
      }
    };
    return { add, remove, emit };
  }

  // ---- participants ----
  const fallbackNames = ['Alice Archer', 'Bruno Baptiste', 'Chen Cho', 'Dalia Dorsey', 'Emeka Eze', 'Freya Fontaine'];
  const fixtureList = boot.fixtures && Array.isArray(boot.fixtures.participants) ? boot.fixtures.participants : [];
  const cycleSeconds = boot.fixtures?.cycleSeconds || 18;

  const conferenceEvents = makeEmitter('conference');
  const roomEvents = makeEmitter('xmpp');

  // Placeholder tracks for participants without a rendered element (muted, or hidden from the recorder):
  // real, live MediaStreamTracks that carry black frames / silence.
  let silentAudio = null;
  function placeholderTrack(kind) {
    if (kind === 'audio') {
      if (!silentAudio) {
        const ctx = new AudioContext();
        silentAudio = ctx.createMediaStreamDestination();
      }
      return silentAudio.stream.getAudioTracks()[0].clone();
    }
    const canvas = document.createElement('canvas');
    canvas.width = 16;
    canvas.height = 9;
    const g = canvas.getContext('2d');
    g.fillStyle = '#000';
    g.fillRect(0, 0, 16, 9);
    return canvas.captureStream(0).getVideoTracks()[0];
  }

  function makeTrack(p, kind) {
    let mst = null;
    let stream = null;
    const sourceName = `${p.id}-${kind === 'audio' ? 'a' : 'v'}0`;
    const track = {
      getType: () => kind,
      getParticipantId: () => p.id,
      getId: () => sourceName,
      getSourceName: () => sourceName,
      getStreamId: () => (stream ? stream.id : sourceName),
      getTrackId: () => (mst ? mst.id : null),
      getSSRC: () => p.ssrcBase + (kind === 'audio' ? 1 : 2),
      getVideoType: () => (kind === 'video' ? 'camera' : undefined),
      isMuted: () => (kind === 'audio' ? p.isAudioMuted() : p.isVideoMuted()),
      isLocal: () => false,
      isP2P: false,
      isAudioTrack: () => kind === 'audio',
      isVideoTrack: () => kind === 'video',
      getOriginalStream: () => {
        track.getTrack();
        return stream;
      },
      getTrack: () => {
        if (mst && (mst.readyState === 'live' || !p.joined)) return mst;
        const fromElement = p.captureStream();
        const real = fromElement && (kind === 'audio' ? fromElement.getAudioTracks()[0] : fromElement.getVideoTracks()[0]);
        mst = real || placeholderTrack(kind);
        stream = real ? fromElement : new MediaStream([mst]);
        return mst;
      },
      dispose: () => {
        if (mst && !p.captured?.getTracks().includes(mst)) mst.stop();
      },
    };
    if (script.noTrackStreams) {
      delete track.getOriginalStream;
      delete track.getTrack;
    }
    return track;
  }

  function makeParticipant(n) {
    const info = fixtureList.find((f) => f.index === n) || {};
    const displayName = info.displayName || fallbackNames[n - 1];
    const slug = displayName.toLowerCase().replace(/[^a-z0-9]+/g, '.');
    const hiddenFromRecorder = script.hiddenFromRecorder.includes(n);
    const muted = script.muted.includes(n);
    const p = {
      n,
      id: `5c0e${String(n).padStart(4, '0')}`,
      ssrcBase: 1000 * n,
      displayName,
      hiddenFromRecorder,
      muted,
      // Meet keeps hidden-from-recorder participants off a recorder's screen entirely.
      visible: !(hiddenFromRecorder && iAmRecorder),
      rendered: !muted && !(hiddenFromRecorder && iAmRecorder),
      video: null,
      captured: null,
      tracks: [],
      joined: false,
      identity: {
        user: {
          id: `user-${n}`,
          name: displayName,
          email: `${slug}@example.com`,
          ...(hiddenFromRecorder ? { 'hidden-from-recorder': true } : {}),
        },
        group: 'scriba-demo',
      },
    };
    p.occupantJid = `${roomJid}/${p.id}`;
    p.realJid = `${slug}@${domain}/scriba-demo-${n}`;
    p.captureStream = () => {
      if (!p.video || !p.joined) return null;
      if (!p.captured) {
        try {
          p.captured = p.video.captureStream();
        } catch (e) {
          demo.mediaErrors.push(`captureStream ${n}: ${e.message}`);
        }
      }
      return p.captured;
    };
    p.api = {
      getId: () => p.id,
      getDisplayName: () => p.displayName,
      getJid: () => p.realJid,
      getRole: () => 'participant',
      isModerator: () => false,
      isHidden: () => false,
      isHiddenFromRecorder: () => p.hiddenFromRecorder,
      isAudioMuted: () => p.isAudioMuted(),
      isVideoMuted: () => p.isVideoMuted(),
      getTracks: () => p.tracks.slice(),
      getTracksByMediaType: (type) => p.tracks.filter((t) => t.getType() === type),
      getProperty: () => undefined,
      getStatsID: () => slug,
      getIdentity: () => p.identity,
      getConnectionStatus: () => 'active',
      getBotType: () => undefined,
      isReplacing: () => false,
      getConference: () => room,
    };
    p.isAudioMuted = () => p.muted;
    p.isVideoMuted = () => p.muted;
    return p;
  }

  const participants = [];
  for (let n = 1; n <= script.participants; n++) participants.push(makeParticipant(n));
  let present = []; // joined and not yet left

  // ---- layout ----
  const stage = document.getElementById('stage');
  const statusEl = document.getElementById('status');
  let syncVideo = null;

  function newVideo(file) {
    const v = document.createElement('video');
    v.preload = 'auto';
    v.loop = true;
    v.playsInline = true;
    v.muted = false;
    v.src = boot.mediaBase + file;
    v.addEventListener('error', () => demo.mediaErrors.push(`${file}: ${v.error ? v.error.message || v.error.code : 'error'}`));
    return v;
  }

  for (const p of participants) {
    if (p.rendered) p.video = newVideo(`${script.content === 'camera' ? 'camera' : 'participant'}-${p.n}.webm`);
  }
  if (script.sync && participants.length > 0) {
    syncVideo = newVideo('sync.webm');
    syncVideo.id = 'sync-tile';
    // syncRate ≠ 1 slides the tile's pulses slowly across the 30 fps grabs (e.g. 1.001: 1 ms a second), so a
    // recording's median averages their phase instead of keeping one for its whole length. Resampled, not
    // time-stretched: the beep keeps its shape.
    syncVideo.preservesPitch = false;
    syncVideo.defaultPlaybackRate = script.syncRate;
    syncVideo.playbackRate = script.syncRate;
  }
  // The wall-clock tile: white for flashMs from each second's mark, redrawn every animation frame (CLOCK_TILE
  // and clockMarkMs in demo-meeting-server.ts: the mark steps through a 30 fps frame, 1/10 of it per second).
  const CLOCK = boot.clockTile;
  const clockMark = (secondMs) => {
    const n = CLOCK.markSteps;
    return secondMs + (((Math.round(secondMs / 1000) % n) + n) % n) * CLOCK.markStepMs;
  };
  let clockTile = null;
  function showClockTile() {
    if (clockTile) return;
    clockTile = document.createElement('div');
    clockTile.id = 'clock-tile';
    document.body.classList.add('with-sync');
    document.body.appendChild(clockTile);
    const draw = () => {
      if (!clockTile) return;
      const now = Date.now();
      const sinceMark = now - clockMark(now - (now % 1000));
      clockTile.classList.toggle('on', sinceMark >= 0 && sinceMark < CLOCK.flashMs);
      requestAnimationFrame(draw);
    };
    draw();
    if (script.clockBeep) startClockBeep();
  }

  // The wall-clock beep: a CLOCK.beepHz tone for flashMs from every second's mark, placed by
  // the audio output's own timestamp (getOutputTimestamp: which context time leaves the output when), so each
  // beep leaves the browser's audio output at its mark as the tile's flash is drawn at it. A recording then
  // shows the sound path's lateness beside the picture's, without a media element's own A/V offset between.
  let clockAudio = null;
  function startClockBeep() {
    if (clockAudio) return;
    const ctx = new AudioContext();
    const state = { ctx, timer: 0, next: 0 };
    clockAudio = state;
    const schedule = () => {
      const ts = ctx.getOutputTimestamp();
      if (ctx.state !== 'running' || !ts.performanceTime) return; // the output has not started yet
      // Wall-clock time (ms) at which the sample at ts.contextTime leaves the output.
      const wallAt = Date.now() - (performance.now() - ts.performanceTime);
      let second = Math.max(state.next, Math.ceil((Date.now() + 200) / 1000) * 1000);
      for (; second <= Date.now() + 1500; second += 1000) {
        const at = ts.contextTime + (clockMark(second) - wallAt) / 1000;
        const end = at + CLOCK.flashMs / 1000;
        const gain = new GainNode(ctx, { gain: 0 });
        // 2 ms ramps: no click, and the onset stays within the detector's 5 ms step.
        gain.gain.setValueAtTime(0, at);
        gain.gain.linearRampToValueAtTime(0.5, at + 0.002);
        gain.gain.setValueAtTime(0.5, end - 0.002);
        gain.gain.linearRampToValueAtTime(0, end);
        const osc = new OscillatorNode(ctx, { frequency: CLOCK.beepHz });
        osc.connect(gain).connect(ctx.destination);
        osc.start(at);
        osc.stop(end);
        demo.clockBeeps.push(second);
      }
      state.next = second;
    };
    state.timer = setInterval(schedule, 250);
    ctx.resume().catch(() => {});
  }
  function stopClockBeep() {
    if (!clockAudio) return;
    clearInterval(clockAudio.timer);
    clockAudio.ctx.close().catch(() => {});
    clockAudio = null;
  }

  const mediaElements = () => [...participants.map((p) => p.video).filter(Boolean), ...(syncVideo ? [syncVideo] : [])];

  function layout() {
    const tiles = stage.children.length;
    const cols = tiles <= 1 ? 1 : tiles <= 4 ? 2 : 3;
    const rows = Math.max(1, Math.ceil(tiles / cols));
    stage.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
    stage.style.gridTemplateRows = `repeat(${rows}, minmax(0, 1fr))`;
  }

  function addTile(p) {
    const tile = document.createElement('div');
    tile.className = 'tile';
    tile.dataset.participantId = p.id;
    if (p.video) {
      tile.appendChild(p.video);
    } else {
      tile.classList.add('muted');
      const avatar = document.createElement('div');
      avatar.className = 'avatar';
      avatar.textContent = p.displayName;
      tile.appendChild(avatar);
    }
    const label = document.createElement('div');
    label.className = 'name';
    label.textContent = p.displayName;
    tile.appendChild(label);
    const cell = document.createElement('div');
    cell.className = 'cell';
    cell.appendChild(tile);
    stage.appendChild(cell);
    p.tile = tile;
    p.cell = cell;
  }

  // ---- media: preload now, start every element in the same tick once all can play ----
  let mediaState = 'idle'; // idle | playing | stopped | gone
  const canPlay = (v) =>
    new Promise((resolve) => {
      if (v.readyState >= 3) return resolve();
      const done = () => {
        v.removeEventListener('canplay', done);
        v.removeEventListener('error', done);
        resolve();
      };
      v.addEventListener('canplay', done);
      v.addEventListener('error', done);
    });
  const mediaReady = Promise.race([Promise.all(mediaElements().map(canPlay)), new Promise((resolve) => setTimeout(resolve, 8000))]);

  async function startMedia() {
    const els = mediaElements().filter((v) => !participants.some((p) => p.video === v && !p.joined && script.arrivals.has(p.n)));
    // All in one tick, so the staggered speech slots of the clips stay staggered.
    const plays = els.map((v) =>
      v.play().then(
        () => null,
        (e) => e,
      ),
    );
    demo.mediaStartedAt = since();
    mediaState = 'playing';
    const results = await Promise.all(plays);
    const blocked = els.filter((_v, i) => results[i] && results[i].name === 'NotAllowedError');
    if (blocked.length) {
      // No --autoplay-policy=no-user-gesture-required: play muted rather than not at all.
      demo.autoplayBlocked = true;
      await Promise.all(
        blocked.map((v) => {
          v.muted = true;
          return v.play().catch(() => {});
        }),
      );
    }
    results.forEach((r, i) => {
      if (r && r.name !== 'NotAllowedError') demo.mediaErrors.push(`play ${els[i].src}: ${r.message}`);
    });
  }

  function stopMedia(state) {
    if (mediaState === 'gone') return;
    mediaState = state;
    for (const v of mediaElements()) {
      v.pause();
      v.classList.add('stopped'); // black: the tile keeps its name label
    }
  }

  // Keeps the clips' loops in step (each <video> loops on its own; a late loop would shift its speech slot).
  setInterval(() => {
    if (mediaState !== 'playing') return;
    const els = mediaElements().filter((v) => !v.paused && !v.seeking && v.readyState >= 2);
    if (els.length < 2) return;
    const anchor = els[0].currentTime;
    for (const v of els.slice(1)) {
      let d = v.currentTime - anchor;
      d -= cycleSeconds * Math.round(d / cycleSeconds);
      if (Math.abs(d) > 0.35) {
        v.currentTime = (anchor + 0.05) % cycleSeconds;
        demo.driftCorrections++;
      }
    }
  }, 1000);

  // ---- bitrate: measured from the decoders' byte counters, like a receiver's download rate ----
  let lastSample = null;
  let bitrate = { download: 0, upload: 0, audio: { download: 0, upload: 0 }, video: { download: 0, upload: 0 } };
  function decodedBytes() {
    let audio = 0;
    let video = 0;
    for (const v of mediaElements()) {
      audio += v.webkitAudioDecodedByteCount || 0;
      video += v.webkitVideoDecodedByteCount || 0;
    }
    return { audio, video, at: performance.now() };
  }
  function updateBitrate() {
    const flowing = mediaState === 'playing' && present.some((p) => p.video);
    const now = decodedBytes();
    if (!flowing) {
      bitrate = { download: 0, upload: 0, audio: { download: 0, upload: 0 }, video: { download: 0, upload: 0 } };
    } else {
      const nominal = present.filter((p) => p.video).length;
      let a = 40 * nominal;
      let v = 400 * nominal + (syncVideo ? 100 : 0);
      if (lastSample && now.at > lastSample.at) {
        const ms = now.at - lastSample.at;
        const da = ((now.audio - lastSample.audio) * 8) / ms; // bytes*8/ms = kbit/s
        const dv = ((now.video - lastSample.video) * 8) / ms;
        if (da > 0) a = da;
        if (dv > 0) v = dv;
      }
      bitrate = {
        download: Math.round(a + v),
        upload: 0,
        audio: { download: Math.round(a), upload: 0 },
        video: { download: Math.round(v), upload: 0 },
      };
    }
    lastSample = now;
  }
  setInterval(updateBitrate, 1000);

  // ---- conference lifecycle ----
  let joined = false;
  let connectionState = null;
  const presenceMap = {};

  function participantsJoin(list) {
    if (!joined || mediaState === 'gone') return;
    const arriving = list.filter((p) => !p.joined && !p.departed);
    for (const p of arriving) {
      p.joined = true;
      p.tracks = [makeTrack(p, 'audio'), makeTrack(p, 'video')];
      if (p.visible) addTile(p);
      present.push(p);
      room.room.members[p.occupantJid] = {
        jid: p.realJid,
        nick: p.displayName,
        role: 'participant',
        affiliation: 'none',
        isFocus: false,
        isHiddenDomain: false,
        statsID: p.api.getStatsID(),
        identity: p.identity,
        features: new Set(),
        status: undefined,
        botType: undefined,
        show: undefined,
      };
    }
    layout();
    if (syncVideo && present.length) {
      document.body.classList.add('with-sync');
      document.body.appendChild(syncVideo);
    }
    if (script.clock && present.length) showClockTile();
    for (const p of arriving) {
      roomEvents.emit(
        'xmpp.muc_member_joined',
        p.occupantJid,
        p.displayName,
        'participant',
        false,
        p.api.getStatsID(),
        undefined,
        p.identity,
        undefined,
        p.realJid,
        new Set(),
        false,
      );
      conferenceEvents.emit('conference.userJoined', p.id, p.api);
    }
    for (const p of arriving) for (const t of p.tracks) conferenceEvents.emit('conference.trackAdded', t);
    updateBitrate();
  }

  // A late joiner's clip starts at the others' position in the cycle, so its speech slot stays its own.
  function lateJoin(p) {
    if (!joined || mediaState === 'gone' || p.joined || p.departed) return;
    if (p.video && mediaState === 'playing') {
      const anchor = mediaElements().find((v) => v !== p.video && !v.paused);
      if (anchor) p.video.currentTime = anchor.currentTime % cycleSeconds;
      p.video.play().catch(() => {
        p.video.muted = true;
        return p.video.play().catch(() => {});
      });
    }
    participantsJoin([p]);
  }

  function removeParticipant(p) {
    for (const t of p.tracks) conferenceEvents.emit('conference.trackRemoved', t);
    const tracks = p.tracks;
    p.tracks = [];
    delete room.room.members[p.occupantJid];
    roomEvents.emit('xmpp.muc_member_left', p.occupantJid, p.displayName);
    conferenceEvents.emit('conference.userLeft', p.id, p.api);
    for (const t of tracks) t.dispose();
    if (p.captured) for (const t of p.captured.getTracks()) t.stop();
    p.joined = false;
    if (p.cell) p.cell.remove();
  }

  function earlyLeave(p) {
    if (!present.includes(p)) {
      p.departed = true;
      return;
    }
    present = present.filter((x) => x !== p);
    p.departed = true;
    removeParticipant(p);
    if (p.video) {
      p.video.pause();
      p.video.removeAttribute('src');
      p.video.load();
    }
    layout();
    updateBitrate();
  }

  function participantsLeave() {
    const leaving = present;
    present = [];
    for (const p of leaving) removeParticipant(p);
    stopMedia('gone');
    for (const v of mediaElements()) {
      v.removeAttribute('src');
      v.load();
    }
    if (syncVideo) syncVideo.remove();
    if (clockTile) clockTile.remove();
    clockTile = null;
    stopClockBeep();
    document.body.classList.remove('with-sync');
    layout();
    updateBitrate();
  }

  function conferenceJoined() {
    if (joined || demo.state !== 'connecting') return;
    joined = true;
    connectionState = 'connected';
    demo.state = 'joined';
    demo.joinedAt = since();
    statusEl.remove();
    roomEvents.emit('xmpp.muc_joined');
    conferenceEvents.emit('conference.joined');
    const at = (seconds, fn) => {
      if (typeof seconds === 'number' && seconds >= 0) setTimeout(fn, seconds * 1000);
    };
    // Participants appear shortly after the join (0.5 s, or when the media can play if that is later).
    const firstBatch = Promise.all([mediaReady, new Promise((r) => setTimeout(r, 500))]).then(async () => {
      if (!joined || mediaState === 'gone') return; // left (or leaveAfter fired) before anyone arrived
      if (mediaState === 'idle') await startMedia();
      participantsJoin(participants.filter((p) => !script.arrivals.has(p.n)));
    });
    for (const [n, t] of script.arrivals) {
      const p = participants.find((x) => x.n === n);
      // Not before the first batch (which waits for the media): the clip must already be loaded and in step.
      if (p) at(t, () => firstBatch.then(() => lateJoin(p)));
    }
    for (const [n, t] of script.departures) {
      const p = participants.find((x) => x.n === n);
      if (p)
        at(t, () => {
          if (joined) earlyLeave(p);
        });
    }
    at(script.mediaStopAfter, () => {
      if (joined) {
        stopMedia('stopped');
        updateBitrate();
      }
    });
    at(script.leaveAfter, () => {
      if (joined) participantsLeave();
    });
    at(script.iceFailAfter, () => {
      if (joined) {
        connectionState = 'disconnected';
        stopMedia('stopped');
        updateBitrate();
      }
    });
    at(script.kickAfter, () => {
      if (!joined) return;
      roomEvents.emit('xmpp.kicked', true, 'focus', myUserId, 'Kicked by the demo script', false);
      conferenceEvents.emit('conference.kicked', undefined, 'Kicked by the demo script', false);
      leaveConference('kicked');
    });
  }

  function leaveConference(state) {
    if (demo.state === 'left' || demo.state === 'kicked') return;
    if (present.length) participantsLeave();
    else stopMedia('gone');
    joined = false;
    connectionState = null;
    demo.state = state;
    roomEvents.emit('xmpp.muc_left');
    conferenceEvents.emit('conference.left');
  }

  const chatRoom = {
    roomjid: roomJid,
    myroomjid: `${roomJid}/${myUserId}`,
    members: {},
    presMap: presenceMap,
    addOrReplaceInPresence(name, values) {
      const value = values && typeof values === 'object' ? values.value : values;
      const changed = demo.pendingPresence[name] !== value;
      demo.pendingPresence[name] = value;
      presenceMap[name] = values;
      return changed;
    },
    removeFromPresence(name) {
      delete demo.pendingPresence[name];
      delete presenceMap[name];
    },
    getFromPresence(name) {
      return presenceMap[name];
    },
    sendPresence() {
      demo.presence = { ...demo.pendingPresence };
      demo.presenceSent++;
    },
    addListener: roomEvents.add,
    removeListener: roomEvents.remove,
    addEventListener: roomEvents.add,
    removeEventListener: roomEvents.remove,
    on: roomEvents.add,
    off: roomEvents.remove,
  };

  const login = storedLocal.xmpp_username_override || '';
  const hiddenDomain = typeof config.hiddenDomain === 'string' ? config.hiddenDomain : null;
  const loginDomain = login.includes('@') ? login.slice(login.indexOf('@') + 1) : '';
  const room = {
    room: chatRoom,
    isJoined: () => joined,
    getParticipants: () => present.map((p) => p.api),
    getParticipantById: (id) => {
      const p = present.find((x) => x.id === id);
      return p ? p.api : undefined;
    },
    getParticipantCount: () => present.filter((p) => !p.hiddenFromRecorder).length + 1,
    getName: () => roomName,
    getMeetingUniqueId: () => `scriba-demo-${roomName}`,
    myUserId: () => myUserId,
    isHidden: () => (hiddenDomain ? loginDomain === hiddenDomain : loginDomain.startsWith('recorder.')),
    isE2EEEnabled: () => script.e2ee,
    sendTextMessage(message) {
      demo.messages.push(String(message));
    },
    sendMessage(message, elementName = 'body') {
      if (elementName === 'json-message') demo.jsonMessages.push(String(message));
      else demo.messages.push(String(message));
    },
    isE2EESupported: () => true,
    getConnectionState: () => connectionState,
    leave: () =>
      new Promise((resolve) =>
        setTimeout(() => {
          leaveConference('left');
          resolve();
        }, 20),
      ),
    on: conferenceEvents.add,
    off: conferenceEvents.remove,
    addEventListener: conferenceEvents.add,
    removeEventListener: conferenceEvents.remove,
  };

  const conference = {
    _room: room,
    roomName,
    get membersCount() {
      return present.filter((p) => !(iAmRecorder && p.hiddenFromRecorder)).length + 1;
    },
    isJoined: () => joined,
    getMyUserId: () => myUserId,
    getStats: () => ({
      bitrate: { ...bitrate, audio: { ...bitrate.audio }, video: { ...bitrate.video } },
      packetLoss: { total: 0, download: 0, upload: 0 },
      connectionQuality: joined ? 100 : 0,
      jvbRTT: joined ? 2 : undefined,
      serverRegion: 'scriba-demo',
      maxEnabledResolution: 720,
      resolution: {},
      framerate: {},
      codec: {},
      transport: joined
        ? [
            {
              ip: '127.0.0.1:10000',
              type: 'udp',
              localip: '127.0.0.1:40000',
              p2p: false,
              localCandidateType: 'host',
              remoteCandidateType: 'host',
              networkType: 'loopback',
            },
          ]
        : [],
    }),
    getConnectionState: () => connectionState,
    isLocalAudioMuted: () => true,
    isLocalVideoMuted: () => true,
    muteAudio: () => {},
    muteVideo: () => {},
    hangup: () => room.leave(),
    leaveRoom: () => room.leave(),
  };

  const store = {
    getState: () => ({
      'features/base/participants': { local: { id: myUserId, role: 'participant' } },
      'features/visitors': { iAmVisitor: false },
      'features/av-moderation': { audioModerationEnabled: false, videoModerationEnabled: false },
      'features/base/conference': { e2eeSupported: true },
    }),
  };

  window.config = config;
  window.interfaceConfig = interfaceConfig;
  window.APP = { conference, store, API: { notifyLocalStorageChanged: () => {} } };
  window.JitsiMeetJS = {
    version: 'scriba-demo',
    events: {
      conference: {
        CONFERENCE_JOINED: 'conference.joined',
        CONFERENCE_LEFT: 'conference.left',
        KICKED: 'conference.kicked',
        USER_JOINED: 'conference.userJoined',
        USER_LEFT: 'conference.userLeft',
        TRACK_ADDED: 'conference.trackAdded',
        TRACK_REMOVED: 'conference.trackRemoved',
        TRACK_MUTE_CHANGED: 'conference.trackMuteChanged',
        DISPLAY_NAME_CHANGED: 'conference.displayNameChanged',
      },
    },
  };

  // Test hooks (not part of Meet): change a participant's name or mute state at run time.
  const control = {};
  window.__scribaDemoControl = control;
  control.setDisplayName = (n, name) => {
    const p = present.find((x) => x.n === n);
    if (!p) return false;
    p.displayName = name;
    p.identity.user.name = name;
    if (room.room.members[p.occupantJid]) room.room.members[p.occupantJid].nick = name;
    if (p.tile) p.tile.querySelector('.name').textContent = name;
    roomEvents.emit('xmpp.display_name_changed', p.occupantJid, name);
    conferenceEvents.emit('conference.displayNameChanged', p.id, name);
    return true;
  };
  control.setMuted = (n, muted) => {
    const p = present.find((x) => x.n === n);
    if (!p || p.muted === muted) return false;
    p.muted = muted;
    if (p.video) {
      p.video.muted = muted;
      p.video.classList.toggle('stopped', muted);
    }
    for (const t of p.tracks) conferenceEvents.emit('conference.trackMuteChanged', t);
    return true;
  };

  if (!script.neverJoin) setTimeout(conferenceJoined, script.joinDelay * 1000);
})();
