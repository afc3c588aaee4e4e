import { describe, expect, it } from 'vitest';
import { buildChromiumArgs, buildChromiumEnv } from '../../../src/browser/chromium-args.ts';

const COMMON = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  '--user-data-dir=/tmp/s1/profile',
  '--window-size=1280,720',
  '--window-position=0,0',
  '--no-default-browser-check',
  '--disable-infobars',
  '--disable-notifications',
  '--disable-default-apps',
  '--disable-prompt-on-repost',
  '--disable-hang-monitor',
  '--hide-crash-restore-bubble',
  '--noerrdialogs',
  '--disable-search-engine-choice-screen',
  '--password-store=basic',
  '--disable-features=Translate,MediaRouter,OptimizationHints,GlobalMediaControls,HttpsUpgrades,SpareRendererForSitePerProcess,BackForwardCache,WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup,AudioServiceOutOfProcess',
  '--enable-features=NetworkServiceInProcess2',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  '--disable-dev-shm-usage',
  '--hide-scrollbars',
  '--force-device-scale-factor=1',
];

const base = { userDataDir: '/tmp/s1/profile', width: 1280, height: 720 };

describe('buildChromiumArgs', () => {
  it('headless', () => {
    expect(buildChromiumArgs({ ...base, headless: true, kiosk: false })).toEqual([...COMMON, '--headless=new']);
  });

  it('headful kiosk on X11: one pixel wider and taller than the screen so the page fills it', () => {
    expect(buildChromiumArgs({ ...base, headless: false, kiosk: true })).toEqual([
      ...COMMON.map((a) => (a === '--window-size=1280,720' ? '--window-size=1281,721' : a)),
      '--ozone-platform=x11',
      '--kiosk',
    ]);
  });

  it('headful without kiosk', () => {
    expect(buildChromiumArgs({ ...base, headless: false, kiosk: false })).toEqual([...COMMON, '--ozone-platform=x11']);
  });

  it('appends extra args and merges their disabled and enabled features into ours', () => {
    const args = buildChromiumArgs({
      ...base,
      width: 1920,
      height: 1080,
      headless: true,
      kiosk: false,
      extraArgs: [
        '--auto-accept-this-tab-capture',
        '--disable-features=Foo,Translate,Bar',
        '--enable-features=Baz,NetworkServiceInProcess2',
      ],
    });
    expect(args).toContain('--window-size=1920,1080');
    expect(args.filter((a) => a.startsWith('--disable-features='))).toEqual([
      '--disable-features=Translate,MediaRouter,OptimizationHints,GlobalMediaControls,HttpsUpgrades,SpareRendererForSitePerProcess,BackForwardCache,WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup,AudioServiceOutOfProcess,Foo,Bar',
    ]);
    expect(args.filter((a) => a.startsWith('--enable-features='))).toEqual(['--enable-features=NetworkServiceInProcess2,Baz']);
    expect(args.at(-1)).toBe('--auto-accept-this-tab-capture');
  });

  it('never mutes audio, never fakes the media UI, never announces automation', () => {
    const args = buildChromiumArgs({ ...base, headless: true, kiosk: true });
    for (const bad of ['--mute-audio', '--use-fake-ui-for-media-stream', '--enable-automation']) expect(args).not.toContain(bad);
  });

  it.each([
    [{ ...base, userDataDir: 'relative/dir' }],
    [{ ...base, userDataDir: '/tmp/with space' }],
    [{ ...base, userDataDir: '/tmp/a=b' }],
    [{ ...base, width: 0 }],
    [{ ...base, height: 720.5 }],
  ])('rejects bad options %#', (opts) => {
    expect(() => buildChromiumArgs({ ...opts, headless: true, kiosk: false })).toThrow(RangeError);
  });
});

describe('buildChromiumEnv', () => {
  it('inherits only the allow-list and applies overrides', () => {
    const parent = {
      PATH: '/usr/bin:/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      LC_ALL: 'C',
      XDG_RUNTIME_DIR: '/run/user/0',
      AWS_SECRET_ACCESS_KEY: 'nope',
      SCRIBA_JWT_SECRET: 'nope',
      DISPLAY: ':0',
      WAYLAND_DISPLAY: 'wayland-0',
    };
    expect(
      buildChromiumEnv(parent, {
        DISPLAY: ':99',
        HOME: '/work/s1/home',
        XDG_CONFIG_HOME: '/work/s1/home/.config',
        PULSE_SERVER: 'unix:/work/s1/pulse/native',
        XDG_RUNTIME_DIR: undefined,
      }),
    ).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/work/s1/home',
      LANG: 'C.UTF-8',
      LC_ALL: 'C',
      DISPLAY: ':99',
      XDG_CONFIG_HOME: '/work/s1/home/.config',
      PULSE_SERVER: 'unix:/work/s1/pulse/native',
    });
  });
});
