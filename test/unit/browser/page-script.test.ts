/**
 * The in-page scripts as the page object sends them: every file makes a valid expression, arguments arrive as
 * data, and the small probes give the same answers against a stand-in for Meet's APP. (They run in real
 * Chromium in test/integration/browser-launch.test.ts and audio-tap.test.ts.)
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { callExpression, pageScript } from '../../../src/browser/page-script.ts';

const dir = new URL('../../../src/browser/page-scripts/', import.meta.url);
const functionFiles = readdirSync(dir).filter((f) => f.endsWith('.js') && f !== 'audio-tap-core.js' && f !== 'audio-tap-worklet.js');

/** Evaluates an expression with `APP` and `window` as given (no real page). */
function evaluate(expression: string, APP: unknown, window: Record<string, unknown> = {}): unknown {
  return new Function('APP', 'window', `return ${expression};`)(APP, window);
}

describe('page scripts', () => {
  it('are checked by tsc and parse as the expressions the page evaluates', () => {
    expect(functionFiles.length).toBeGreaterThanOrEqual(10);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
      expect(pageScript(file).startsWith('// @ts-check'), file).toBe(true);
    }
    for (const file of functionFiles) {
      expect(() => new Function(`return ${callExpression(pageScript(file), { a: 1 })};`), file).not.toThrow();
    }
  });

  it('callExpression passes arguments as JSON data', () => {
    const hostile = "x'); alert(1); ('\u2028</script>";
    expect(callExpression('(a, b) => [a, b]', hostile, { k: hostile })).toBe(
      `((a, b) => [a, b]\n)(${JSON.stringify(hostile)}, ${JSON.stringify({ k: hostile })})`,
    );
    expect(new Function(`return ${callExpression('(a, b, c) => [a, b, c]', hostile, { k: hostile }, undefined)};`)()).toEqual([
      hostile,
      { k: hostile },
      undefined,
    ]);
    // A trailing line comment in a source does not swallow the call.
    expect(new Function(`return ${callExpression('(a) => a // the end', 7)};`)()).toBe(7);
    // Nor does a formatter's semicolon after the function.
    expect(new Function(`return ${callExpression('(a) => a;\n', 8)};`)()).toBe(8);
  });

  it('the join probe answers joined, or why not', () => {
    const joined = callExpression(pageScript('joined.js'));
    expect(evaluate(joined, { conference: { _room: { isJoined: () => true } } })).toEqual({ joined: true, error: null });
    expect(evaluate(joined, { conference: { _room: { isJoined: () => 'yes' } } })).toEqual({ joined: null, error: null });
    expect(evaluate(joined, { conference: {} })).toMatchObject({ joined: null, error: expect.stringContaining('isJoined') });
  });

  it('the snapshot nulls each probe that throws', () => {
    const participant = (hidden: boolean, muted: boolean) => ({
      isHidden: () => hidden,
      isHiddenFromRecorder: () => false,
      isAudioMuted: () => muted,
      isVideoMuted: () => muted,
      getProperty: () => undefined,
    });
    const APP = {
      conference: {
        _room: { isJoined: () => true, getParticipants: () => [participant(false, true), participant(true, false)] },
        getStats: () => ({ bitrate: {} }),
        getConnectionState: () => {
          throw new Error('no ICE');
        },
      },
    };
    expect(evaluate(callExpression(pageScript('snapshot.js')), APP)).toEqual({
      joined: true,
      participantCount: 2,
      downloadKbps: null,
      iceConnected: null,
      allMuted: true,
      e2ee: false,
    });
  });

  it('presence sets each tag as data and sends presence once', () => {
    const calls: unknown[][] = [];
    const room = { addOrReplaceInPresence: (...a: unknown[]) => calls.push(a), sendPresence: () => calls.push(['send']) };
    const tags = { session_id: "abc'); alert(1); ('", mode: 'FILE' };
    expect(evaluate(callExpression(pageScript('presence.js'), tags), { conference: { _room: { room } } })).toBe(true);
    expect(calls).toEqual([['session_id', { value: tags.session_id }], ['mode', { value: 'FILE' }], ['send']]);
    expect(evaluate(callExpression(pageScript('presence.js'), tags), { conference: {} })).toBe(false);
  });

  it('the json message goes out as its JSON text', () => {
    const sent: unknown[][] = [];
    const APP = {
      conference: { _room: { sendMessage: (...a: unknown[]) => sent.push(a), sendTextMessage: (t: unknown) => sent.push([t]) } },
    };
    const payload = { type: 'transcription-result', transcript: [{ text: 'hi "there"' }] };
    expect(evaluate(callExpression(pageScript('json-message.js'), JSON.stringify(payload)), APP)).toBe(true);
    expect(evaluate(callExpression(pageScript('announce.js'), 'recording'), APP)).toBe(true);
    expect(sent).toEqual([[JSON.stringify(payload), 'json-message'], ['recording']]);
  });
});
