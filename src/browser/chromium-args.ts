/**
 * Chromium's command line and environment, as pure functions (tested on the exact list). puppeteer-core is
 * launched with `ignoreDefaultArgs: true`, so this list is everything Chromium gets apart from
 * `--remote-debugging-pipe` (added by puppeteer) and the start URL (added by launch.ts).
 */
import { isAbsolute } from 'node:path';

export interface ChromiumArgsOptions {
  /** Absolute path of a fresh, private profile directory. */
  userDataDir: string;
  width: number;
  height: number;
  /** `--headless=new` (tab capture); otherwise headful, e.g. on a private Xvfb display. */
  headless: boolean;
  /** Full-screen page with no window chrome (for x11grab of the whole display). */
  kiosk: boolean;
  /** Appended last; `--disable-features=` lists are merged with ours instead of replacing them. */
  extraArgs?: readonly string[];
}

/**
 * Features switched off. Chromium keeps only the last `--disable-features=` on a command line, so callers'
 * lists are merged into this one.
 */
export const DISABLED_FEATURES: readonly string[] = [
  'Translate', // no "translate this page?" bubble
  'MediaRouter', // no Cast discovery or Cast dialogs
  'OptimizationHints', // no background fetches of Google optimization data
  'GlobalMediaControls', // no media-controls popup when the meeting plays audio
  'HttpsUpgrades', // an explicitly allowed http:// deployment is loaded as asked, not tried over https first
  // A recorder opens one page and never navigates back: no spare renderer kept ready for the next site, no
  // previous page kept alive for the back button (each a renderer process, ~20 MB measured).
  'SpareRendererForSitePerProcess',
  'BackForwardCache',
  // Chromium 156 renders the address bar's suggestion popup as a web page and keeps it loaded from start-up,
  // in a renderer process of its own (~55 MB PSS measured) that a recorder never shows: no such page.
  'WebUIOmniboxPopup',
  'WebUIOmniboxAimPopup',
  'WebUIOmniboxFullPopup',
  // Sound goes out through the browser process itself instead of a utility process of its own (see
  // ENABLED_FEATURES: ~15 MB PSS saved).
  'AudioServiceOutOfProcess',
];

/**
 * Features switched on; callers' `--enable-features=` lists are merged the same way.
 * NetworkServiceInProcess2: the network stack runs in the browser process instead of a utility process.
 * Each utility process carries its own copy of the allocator pools and runtime state: folding the network
 * and audio services in took 403 → 371 MB PSS off Chromium on the camera-like meeting, with no CPU change
 * measured. A recorder's browser serves one page of one site, so the isolation those processes buy a desktop
 * browser (a crashed service restarts alone) is worth little here: a crash ends the session either way.
 */
export const ENABLED_FEATURES: readonly string[] = ['NetworkServiceInProcess2'];

export function buildChromiumArgs(opts: ChromiumArgsOptions): string[] {
  if (!isAbsolute(opts.userDataDir) || /[\s=]/.test(opts.userDataDir)) {
    // puppeteer splits `--user-data-dir=` on '=', and whitespace invites quoting bugs in logs and wrappers.
    throw new RangeError(`userDataDir must be an absolute path without whitespace or '=': ${opts.userDataDir}`);
  }
  for (const [name, value] of [
    ['width', opts.width],
    ['height', opts.height],
  ] as const) {
    if (!Number.isInteger(value) || value < 16 || value > 8192) throw new RangeError(`${name} must be an integer in 16..8192`);
  }
  const kioskOnX11 = opts.kiosk && !opts.headless;
  const extra = opts.extraArgs ?? [];
  const featureList = (flag: string, ours: readonly string[]): string =>
    `${flag}${[
      ...ours,
      ...extra
        .filter((a) => a.startsWith(flag))
        .flatMap((a) => a.slice(flag.length).split(','))
        .filter((f) => f !== '' && !ours.includes(f)),
    ].join(',')}`;
  const args = [
    // Unprivileged containers have no user namespaces for Chromium's sandbox; the container is the boundary,
    // and the browser only ever loads the deployment's own Meet.
    '--no-sandbox',
    '--disable-gpu',
    // HTTP/3 over UDP is often black-holed by firewalls, which delays page loads; WebRTC media is unaffected.
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // Meet's remote audio must play without a click.
    '--autoplay-policy=no-user-gesture-required',
    `--user-data-dir=${opts.userDataDir}`,
    // Headful kiosk (no window manager on our Xvfb): Chromium on X11 shrinks a window exactly the size of the
    // screen by one pixel (measured: 1280x720 → 1279x719, leaving a 1-px edge of bare root window in every
    // captured frame). One pixel more than the screen fills it; the extra row and column fall off-screen.
    kioskOnX11 ? `--window-size=${opts.width + 1},${opts.height + 1}` : `--window-size=${opts.width},${opts.height}`,
    '--window-position=0,0',
    // Nothing may pop up over the captured page:
    '--no-default-browser-check',
    '--disable-infobars',
    '--disable-notifications',
    '--disable-default-apps',
    '--disable-prompt-on-repost',
    // No "page unresponsive, wait or kill?" dialog; a hung page is detected by the status checks instead.
    '--disable-hang-monitor',
    // No "restore pages?" bubble if a profile is ever reused after a kill.
    '--hide-crash-restore-bubble',
    // No error dialogs (Linux: e.g. GTK warnings shown as dialogs).
    '--noerrdialogs',
    '--disable-search-engine-choice-screen',
    // Plain-text password store: never ask a desktop keyring (gnome-keyring, kwallet) to unlock.
    '--password-store=basic',
    featureList('--disable-features=', DISABLED_FEATURES),
    featureList('--enable-features=', ENABLED_FEATURES),
    // Keep timers and rendering at full speed even if Chromium thinks the window is hidden or occluded.
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
    // Containers give /dev/shm 64 MB by default, which crashes renderers; use the temp dir instead.
    '--disable-dev-shm-usage',
    '--hide-scrollbars',
    // One CSS pixel = one screen pixel, so the page exactly fills a width x height capture.
    '--force-device-scale-factor=1',
  ];
  if (opts.headless) {
    args.push('--headless=new');
  } else {
    // Headful always means our private X display; never pick up a Wayland session by accident.
    args.push('--ozone-platform=x11');
  }
  if (opts.kiosk) args.push('--kiosk');
  args.push(...extra.filter((a) => !a.startsWith('--disable-features=') && !a.startsWith('--enable-features=')));
  return args;
}

/**
 * Variables inherited from our own environment. Everything else (cloud keys, tokens, database URLs) stays
 * out of the browser's environment.
 */
const INHERITED_ENV =
  /^(PATH|HOME|TMPDIR|TZ|LANG|LANGUAGE|LC_[A-Z_]+|DISPLAY|XAUTHORITY|PULSE_SERVER|PULSE_COOKIE|XDG_[A-Z_]+|FONTCONFIG_PATH|FONTCONFIG_FILE|https?_proxy|no_proxy|HTTPS?_PROXY|NO_PROXY)$/;

/**
 * The environment Chromium runs with: an allow-list of `parent` (PATH is needed by Debian's /usr/bin/chromium
 * wrapper script), overlaid with `overrides` (DISPLAY, PULSE_SERVER, HOME, XDG_* of the session). An override
 * whose value is undefined removes the variable.
 */
export function buildChromiumEnv(parent: NodeJS.ProcessEnv, overrides: NodeJS.ProcessEnv = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(parent)) {
    if (value !== undefined && INHERITED_ENV.test(key)) env[key] = value;
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}
