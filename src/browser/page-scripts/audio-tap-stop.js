// @ts-check
/** Flushes and removes the tap; resolves the number of participants it was tapping, or null. Never throws. */
async () => {
  try {
    const state = window.__scribaAudioTap;
    if (!state || state.stopped) return null;
    state.stopped = true;
    clearInterval(state.timer);
    for (const off of state.offs)
      try {
        off();
      } catch {}
    const count = state.taps.size;
    /** @type {Promise<void>[]} */
    const drained = [];
    for (const tap of state.taps.values()) {
      drained.push(
        new Promise((resolve) => {
          try {
            state.detach(tap, resolve);
          } catch {
            resolve();
          }
        }),
      );
    }
    state.taps.clear();
    // Each processor's last partial chunk reaches the main thread within a render callback or two.
    await Promise.race([Promise.all(drained), new Promise((r) => setTimeout(r, 1500))]);
    try {
      await state.ctx.close();
    } catch {}
    delete window.__scribaAudioTap;
    return count;
  } catch {
    return null;
  }
};
