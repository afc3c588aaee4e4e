// @ts-check
/** All probes of one status-check round (docs/jitsi-recorder.md, "Probes"), each null when it throws. */
() => {
  /** @type {<T>(f: () => T) => T | null} */
  const probe = (f) => {
    try {
      const v = f();
      return v === undefined ? null : v;
    } catch {
      return null;
    }
  };
  const visible = () => APP.conference._room.getParticipants().filter((p) => !(p.isHidden() || p.isHiddenFromRecorder()));
  /** @param {JitsiParticipant} p */
  const isBot = (p) => {
    try {
      return p.getProperty('features_jigasi') === true;
    } catch {
      return false;
    }
  };
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
};
