// @ts-check
/**
 * Adds or replaces each tag in the recorder's own presence, then sends presence once; resolves whether it worked.
 * @param {Record<string, string>} tags
 */
(tags) => {
  try {
    const chat = APP.conference._room.room;
    for (const key of Object.keys(tags)) chat.addOrReplaceInPresence(key, { value: tags[key] });
    chat.sendPresence();
    return true;
  } catch {
    return false;
  }
};
