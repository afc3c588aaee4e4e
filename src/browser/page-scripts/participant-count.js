// @ts-check
/** The visible participant count plus the recorder, or null when it cannot be read (the empty-call probe). */
() => {
  try {
    return APP.conference._room.getParticipants().filter((p) => !(p.isHidden() || p.isHiddenFromRecorder())).length + 1;
  } catch {
    return null;
  }
};
