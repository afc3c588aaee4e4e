#!/usr/bin/env node
// The `scriba` command. Plain JavaScript that old Node parses (18, 20): the TypeScript sources need Node
// >= 22.18, so this checks first and only then imports them. Under an older Node it runs itself again with the
// Node that scripts/setup.sh installed under .tools/, or says in one line what to install (exit 2).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REQUIRED_NODE, meetsNodeRequirement } from './node-requirement.js';

// Real paths, so a `scriba` symlinked onto PATH (npm link, npm install -g .) still finds this checkout.
const self = realpathSync(fileURLToPath(import.meta.url));
const root = dirname(dirname(self));
const projectNode = join(root, '.tools/node/node_modules/.bin/node');
// Set on the re-run: a project Node that is itself too old must end in the message, not in a loop.
const REEXEC = 'SCRIBA_NODE_REEXEC';

if (meetsNodeRequirement(process.versions.node)) {
  // Not inherited by what scriba starts, which may be an older `node bin/scriba.js` in need of a re-run.
  delete process.env[REEXEC];
  await import(pathToFileURL(join(root, 'src/cli/main.ts')).href);
} else if (process.env[REEXEC] !== '1' && existsSync(projectNode) && realpathSync(projectNode) !== realpathSync(process.execPath)) {
  rerun();
} else {
  const setup = join(root, 'scripts/setup.sh');
  const how = existsSync(setup) ? `install it with: bash ${setup}` : `install it and run scriba with it`;
  process.stderr.write(`scriba: needs Node >= ${REQUIRED_NODE} (this is Node ${process.version}); ${how}\n`);
  process.exit(2);
}

function rerun() {
  const env = { ...process.env, [REEXEC]: '1', PATH: `${dirname(projectNode)}${delimiter}${process.env.PATH ?? ''}` };
  const args = [self, ...process.argv.slice(2)];
  // setpriv --pdeathsig: if this process is killed outright, the real scriba still gets SIGTERM and stops cleanly.
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  const child = setpriv
    ? spawn(setpriv, ['--pdeathsig', 'SIGTERM', projectNode, ...args], { stdio: 'inherit', env })
    : spawn(projectNode, args, { stdio: 'inherit', env });
  const forward = (signal) => {
    // Ctrl-C reaches the whole foreground process group, the child included: passing it on as well would make
    // it a second Ctrl-C, which `scriba record` counts toward abandoning the file and a worker dies of.
    if (signal === 'SIGINT' && inTerminalForeground()) return;
    child.kill(signal);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, forward);
  child.on('error', (err) => {
    process.stderr.write(`scriba: cannot start ${projectNode}: ${err.message}\n`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    if (signal === null) process.exit(code ?? 1);
    // Die of the same signal, so whoever started scriba sees what happened; 128+n if it cannot kill us.
    for (const s of signals) process.off(s, forward);
    process.kill(process.pid, signal);
    setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 200);
  });
}

/** Whether this process is in its terminal's foreground process group (Linux /proc; false when unknown). */
function inTerminalForeground() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const [, , pgrp, , ttyNr, tpgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ttyNr !== '0' && pgrp === tpgid;
  } catch {
    return false;
  }
}
