// @ts-check
/**
 * Everyone seen since the first call (kept in window.__scribaParticipants, fed by the current member list and
 * by muc_member_joined / display_name_changed listeners so short visits between polls are not lost).
 * Hidden members (hidden domain: recorders, transcribers) are skipped; hidden-from-recorder ones are flagged.
 * Returns null when there is no conference.
 */
() => {
  try {
    const conference = APP.conference._room;
    if (!conference) return null;
    const chat = conference.room || null;
    /** @param {unknown} jid */
    const resourceOf = (jid) => String(jid).split('/').pop();
    /** @param {any} identity @returns {{ name?: unknown, 'hidden-from-recorder'?: unknown } | null} */
    const userOf = (identity) =>
      identity && typeof identity === 'object' && identity.user && typeof identity.user === 'object' ? identity.user : null;
    /** @type {Map<unknown, { id: string, name: string | null, hiddenFromRecorder: boolean }>} */
    let seen = window.__scribaParticipants;
    /** @param {unknown} id @param {unknown} name @param {unknown} hiddenFromRecorder */
    const remember = (id, name, hiddenFromRecorder) => {
      if (!id) return;
      const prev = seen.get(id);
      seen.set(id, {
        id: String(id),
        name: typeof name === 'string' && name !== '' ? name : prev ? prev.name : null,
        hiddenFromRecorder: Boolean(hiddenFromRecorder) || Boolean(prev?.hiddenFromRecorder),
      });
    };
    if (!(seen instanceof Map)) {
      seen = new Map();
      window.__scribaParticipants = seen;
      try {
        /** @type {JitsiChatRoom} */ (chat).addListener(
          'xmpp.muc_member_joined',
          (from, nick, _role, hidden, _statsId, _status, identity) => {
            try {
              if (hidden) return;
              const user = userOf(identity);
              remember(resourceOf(from), nick || user?.name, Boolean(user?.['hidden-from-recorder']));
            } catch {}
          },
        );
        /** @type {JitsiChatRoom} */ (chat).addListener('xmpp.display_name_changed', (jid, displayName) => {
          try {
            const id = resourceOf(jid);
            const prev = seen.get(id);
            if (prev && typeof displayName === 'string' && displayName !== '') seen.set(id, { ...prev, name: displayName });
          } catch {}
        });
      } catch {}
    }
    /** @type {Record<string, JitsiChatMember | undefined>} */
    const members = chat?.members && typeof chat.members === 'object' ? chat.members : {};
    for (const jid of Object.keys(members)) {
      try {
        const m = members[jid];
        if (!m || m.isHiddenDomain) continue;
        const user = userOf(m.identity);
        remember(resourceOf(jid), m.nick || user?.name, Boolean(user?.['hidden-from-recorder']));
      } catch {}
    }
    for (const p of conference.getParticipants()) {
      try {
        if (p.isHidden()) continue;
        let identityName = null;
        try {
          const m = members[p.getJid()];
          const user = userOf(m?.identity);
          identityName = user?.name;
        } catch {}
        let hiddenFromRecorder = false;
        try {
          hiddenFromRecorder = p.isHiddenFromRecorder() === true;
        } catch {}
        remember(p.getId(), p.getDisplayName() || identityName, hiddenFromRecorder);
      } catch {}
    }
    return Array.from(seen.values());
  } catch {
    return null;
  }
};
