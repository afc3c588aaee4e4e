/** A private HOME / XDG / TMPDIR per session so Chromium, PulseAudio and ffmpeg never share state. */
import { mkdir } from 'node:fs/promises';

export interface SessionDirs {
  readonly home: string;
  readonly runtime: string;
  readonly tmp: string;
  readonly profile: string;
}

export function sessionDirs(workDir: string): SessionDirs {
  return { home: `${workDir}/home`, runtime: `${workDir}/run`, tmp: `${workDir}/tmp`, profile: `${workDir}/profile` };
}

export async function createSessionDirs(workDir: string): Promise<SessionDirs> {
  const dirs = sessionDirs(workDir);
  // 0700: PulseAudio refuses a runtime dir others can read; profiles hold cookies and tokens.
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true, mode: 0o700 });
  return dirs;
}

/** The environment for the session's child processes: only what they need, nothing from our secrets. */
export function sessionEnv(dirs: SessionDirs, extra: Record<string, string>, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    PATH: base['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: base['LANG'] ?? 'C.UTF-8',
    HOME: dirs.home,
    XDG_RUNTIME_DIR: dirs.runtime,
    XDG_CONFIG_HOME: `${dirs.home}/.config`,
    XDG_CACHE_HOME: `${dirs.home}/.cache`,
    XDG_DATA_HOME: `${dirs.home}/.local/share`,
    TMPDIR: dirs.tmp,
    ...extra,
  };
}
