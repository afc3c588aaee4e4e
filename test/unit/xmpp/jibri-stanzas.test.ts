import { describe, expect, it } from 'vitest';
import { xml } from '@xmpp/xml';
import {
  instantRoomConfig,
  jibriAttrs,
  jibriElement,
  jibriReplyChild,
  jibriStatusIq,
  joinOutcome,
  leavePresence,
  occupantPresence,
  readJibriStatus,
  slotNickname,
  stanzaError,
} from '../../../src/xmpp/jibri-stanzas.ts';

const ME = 'jibribrewery@internal.auth.meet.test/scriba';

describe('jibri stanzas', () => {
  it('names slots <nick>, <nick>-2, <nick>-3', () => {
    expect([0, 1, 2].map((i) => slotNickname('jibri-a', i))).toEqual(['jibri-a', 'jibri-a-2', 'jibri-a-3']);
  });

  it('builds the brewery presence exactly as Jibri publishes it (join and update)', () => {
    expect(occupantPresence(ME, { busy: false, healthy: true }, true).toString()).toBe(
      `<presence to="${ME}"><x xmlns="http://jabber.org/protocol/muc"><history maxstanzas="0"/></x>` +
        '<jibri-status xmlns="http://jitsi.org/protocol/jibri"><busy-status xmlns="http://jitsi.org/protocol/jibri" status="idle"/>' +
        '<health-status xmlns="http://jitsi.org/protocol/health" status="healthy"/></jibri-status></presence>',
    );
    const update = occupantPresence(ME, { busy: true, healthy: false }, false);
    expect(update.getChild('x')).toBeUndefined();
    expect(readJibriStatus(update)).toEqual({ busy: true, healthy: false });
    expect(readJibriStatus(xml('presence'))).toBeNull();
    expect(leavePresence(ME).toString()).toBe(`<presence to="${ME}" type="unavailable"/>`);
  });

  it('builds the replies and status IQs with Jibri attribute names', () => {
    expect(jibriReplyChild('pending').toString()).toBe('<jibri xmlns="http://jitsi.org/protocol/jibri" status="pending"/>');
    expect(jibriReplyChild('off', { failureReason: 'busy', shouldRetry: true }).toString()).toBe(
      '<jibri xmlns="http://jitsi.org/protocol/jibri" status="off" failure_reason="busy" should_retry="true"/>',
    );
    expect(jibriStatusIq('jibribrewery@internal.auth.meet.test/focus', 'i1', 'on').toString()).toBe(
      '<iq type="set" to="jibribrewery@internal.auth.meet.test/focus" id="i1"><jibri xmlns="http://jitsi.org/protocol/jibri" status="on"/></iq>',
    );
    expect(jibriStatusIq('f', 'i2', 'off', { failureReason: 'error', shouldRetry: false }).getChild('jibri')?.attrs).toMatchObject({
      status: 'off',
      failure_reason: 'error',
      should_retry: 'false',
    });
    expect(stanzaError('modify', 'bad-request', 'why').toString()).toBe(
      '<error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">why</text></error>',
    );
    expect(instantRoomConfig('r@m', 'c1').toString()).toBe(
      '<iq type="set" to="r@m" id="c1"><query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="submit"/></query></iq>',
    );
  });

  it('reads the jibri element and its attributes, without the namespace', () => {
    const iq = xml(
      'iq',
      { type: 'set' },
      xml('jibri', { xmlns: 'http://jitsi.org/protocol/jibri', action: 'start', room: 'r@conference.x' }),
    );
    const el = jibriElement(iq);
    expect(el).not.toBeNull();
    expect(jibriAttrs(el!)).toEqual({ action: 'start', room: 'r@conference.x' });
    expect(jibriElement(xml('iq', {}, xml('jibri', { xmlns: 'urn:other' })))).toBeNull();
  });

  it('classifies the room presences addressed to our occupant', () => {
    const self = (codes: string[], attrs: Record<string, string> = {}) =>
      xml(
        'presence',
        { from: ME.toUpperCase(), ...attrs },
        xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' }, ...codes.map((code) => xml('status', { code }))),
      );
    expect(joinOutcome(self(['110']), ME)).toEqual({ kind: 'joined', created: false });
    expect(joinOutcome(self(['110', '201']), ME)).toEqual({ kind: 'joined', created: true });
    expect(joinOutcome(self(['110'], { type: 'unavailable' }), ME)).toEqual({ kind: 'left' });
    expect(joinOutcome(self([]), ME)).toEqual({ kind: 'other' });
    expect(joinOutcome(xml('presence', { from: 'jibribrewery@internal.auth.meet.test/focus' }), ME)).toEqual({ kind: 'other' });
    const error = xml(
      'presence',
      { from: ME, type: 'error' },
      xml(
        'error',
        { type: 'cancel' },
        xml('not-allowed', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
        xml('text', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }, 'Room creation is restricted'),
      ),
    );
    expect(joinOutcome(error, ME)).toEqual({ kind: 'refused', condition: 'not-allowed', text: 'Room creation is restricted' });
  });
});
