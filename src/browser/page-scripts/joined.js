// @ts-check
/** The join probe: `{ joined: boolean | null, error: string | null }`; error says why a poll was not a yes. */
() => {
  try {
    const joined = APP.conference._room.isJoined();
    return { joined: typeof joined === 'boolean' ? joined : null, error: null };
  } catch (/** @type {any} */ e) {
    return { joined: null, error: String(e?.message || e).slice(0, 200) };
  }
};
