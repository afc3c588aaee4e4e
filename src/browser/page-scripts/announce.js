// @ts-check
/**
 * Posts a group chat message as the recorder (lib-jitsi-meet JitsiConference.sendTextMessage).
 * @param {string} text
 */
(text) => {
  try {
    APP.conference._room.sendTextMessage(text);
    return true;
  } catch {
    return false;
  }
};
