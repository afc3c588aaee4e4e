import { describe, expect, it } from 'vitest';
import { BrewerySlot, type SlotSession, type SlotSessionEnd } from '../../../src/xmpp/brewery-slot.ts';
import type { JibriFailure, OccupantStatus } from '../../../src/xmpp/jibri-stanzas.ts';
import type { XmppEnvironment } from '../../../src/xmpp/xmpp-environment.ts';
import { memoryLogger } from '../../helpers/recording.ts';

const env: XmppEnvironment = {
  name: 'e',
  xmppServerHosts: ['x'],
  xmppDomain: 'meet.test',
  baseUrl: 'https://meet.test',
  controlLogin: { domain: 'auth.meet.test', username: 'jibri', password: 'pw', port: 5222 },
  controlMuc: { domain: 'internal.auth.meet.test', roomName: 'JibriBrewery', nickname: 'n' },
  callLogin: null,
  stripFromRoomDomain: 'conference.',
  usageTimeoutSec: 0,
  trustAllXmppCerts: false,
};
const policy = { allowedMeetingHosts: [], allowedStreamHosts: [], allowHttp: false, defaultMaxDurationSec: 600, maxDurationCapSec: 3600 };
const START = { action: 'start', recording_mode: 'file', room: 'r@conference.meet.test', session_id: 's1' };

function setup(opts: { canFund?: boolean; refuse?: boolean } = {}) {
  const log: string[] = [];
  let end!: (e: SlotSessionEnd) => void;
  let capture!: () => void;
  let stops = 0;
  const session: SlotSession = {
    capturing: new Promise((r) => (capture = r)),
    ended: new Promise((r) => (end = r)),
    fileFinished: Promise.resolve(),
    stop: () => void stops++,
  };
  const slot = new BrewerySlot({
    env,
    policy,
    logger: memoryLogger().logger,
    newId: () => 'new',
    canFund: () => opts.canFund ?? true,
    occupant: {
      setStatus: async (s: OccupantStatus) => void log.push(`presence ${s.busy ? 'busy' : 'idle'}`),
      sendStatus: async (_to: string, status: string, failure?: JibriFailure | null) => (
        log.push(`iq ${status}${failure ? ` ${failure.failureReason} ${failure.shouldRetry}` : ''}`), true
      ),
    },
    start: async () => (opts.refuse ? { failureReason: 'error', shouldRetry: false, message: 'taken' } : session),
    onFree: () => log.push('free'),
  });
  const reply = async (attrs: Record<string, string>) => {
    const el = await slot.handleIq({ from: 'room@muc/focus', attrs });
    log.push(`reply ${el.name} ${el.attrs['status'] ?? ''}`.trim());
    return el;
  };
  return { slot, log, reply, end: (e: SlotSessionEnd) => end(e), capture: () => capture(), stops: () => stops };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('BrewerySlot', () => {
  it('busy presence, then pending; on when capturing; off at the end; then free', async () => {
    const t = setup();
    await t.reply(START);
    t.capture();
    await tick();
    t.end({ ok: true });
    await tick();
    await tick();
    expect(t.log).toEqual(['presence busy', 'reply jibri pending', 'iq on', 'iq off', 'free']);
    expect(t.slot.busy).toBe(false);
  });

  it('a failure ends with off + error + should_retry as the session says; no on if it never captured', async () => {
    const t = setup();
    await t.reply(START);
    t.end({ ok: false, shouldRetry: false, message: 'bad key' });
    await tick();
    await tick();
    expect(t.log.filter((l) => l.startsWith('iq'))).toEqual(['iq off error false']);
  });

  it('refuses busy while serving or unfundable, and answers a start the queue refuses with its reason', async () => {
    const t = setup();
    await t.reply(START);
    const busy = await t.reply(START);
    expect(busy.attrs).toMatchObject({ status: 'off', failure_reason: 'busy', should_retry: 'true' });
    const poor = setup({ canFund: false });
    expect((await poor.reply(START)).attrs).toMatchObject({ failure_reason: 'busy' });
    const taken = setup({ refuse: true });
    expect((await taken.reply(START)).attrs).toMatchObject({ status: 'off', failure_reason: 'error', should_retry: 'false' });
    expect(taken.log).toEqual(['free', 'reply jibri off']);
  });

  it('stop asks the session to stop and answers off; a lost connection stops it without status IQs', async () => {
    const t = setup();
    await t.reply(START);
    expect((await t.reply({ action: 'stop' })).attrs).toMatchObject({ status: 'off' });
    expect(t.stops()).toBe(1);
    t.slot.connectionLost();
    expect(t.stops()).toBe(2);
    t.end({ ok: true });
    await tick();
    await tick();
    expect(t.log.filter((l) => l.startsWith('iq'))).toEqual([]);
    expect((await t.reply({ action: 'bogus' })).name).toBe('error');
  });
});
