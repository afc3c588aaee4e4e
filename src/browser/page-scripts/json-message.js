// @ts-check
/**
 * Sends lib-jitsi-meet's `<json-message xmlns="http://jitsi.org/jitmeet">` groupchat (how Jigasi sends subtitles).
 * @param {string} message the JSON text
 */
(message) => {
  try {
    APP.conference._room.sendMessage(message, 'json-message');
    return true;
  } catch {
    return false;
  }
};
