// @ts-check
/** Leaves the conference; resolves whether it worked. */
async () => {
  try {
    await APP.conference._room.leave();
    return true;
  } catch {
    return false;
  }
};
