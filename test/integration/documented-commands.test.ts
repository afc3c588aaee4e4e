/**
 * Every scriba command README.md and docs/*.md show works as written for a newcomer after setup: one form
 * (`bin/scriba.js …`), run from the repository with the system's Node first on PATH (v20 on Debian 12 hosts,
 * so the bin has to hand over to the project's Node), and each documented subcommand and flag is one the
 * command line knows.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FORM, scanDocs, scanMarkdown } from '../helpers/documented-commands.ts';
import { BIN, ROOT, nodeVersionOnPath, systemNodeEnv } from '../helpers/scriba-bin.ts';

const run = promisify(execFile);
const scan = scanDocs(ROOT);
// Without a system Node (an image with only the new one) the docs are still checked, with the Node there is.
const env = nodeVersionOnPath(systemNodeEnv()) === undefined ? process.env : systemNodeEnv();
const bySubcommand = Map.groupBy(scan.commands, (c) => c.subcommand);

// The title names the Node: on a host whose own Node is new enough, the hand-over to .tools/ is not exercised.
describe(`the commands in README.md and docs/, with the system Node (${nodeVersionOnPath(env) ?? 'none'})`, () => {
  it('finds them, in the README and the docs', () => {
    expect([...bySubcommand.keys()]).toEqual(expect.arrayContaining(['record', 'worker', 'enqueue', 'serve', 'api', 'demo-meeting']));
    const md =
      '```sh\nbin/scriba.js record --url u \\\n  --out D   # note --not-a-flag\n```\nsee `bin/scriba.js serve`, `bin/scriba.js <command>`\n';
    expect(scanMarkdown(md, 'x.md')).toEqual({
      commands: [
        {
          where: 'x.md:2',
          text: 'bin/scriba.js record --url u  --out D   # note --not-a-flag',
          subcommand: 'record',
          flags: ['--url', '--out'],
        },
        { where: 'x.md:5', text: 'bin/scriba.js serve', subcommand: 'serve', flags: [] },
      ],
      stale: [],
    });
    expect(scanMarkdown('```\nscriba worker\n```\nor `npm run scriba -- worker`', 'y.md').stale).toEqual([
      'y.md:2: scriba worker',
      'y.md:4: or `npm run scriba -- worker`',
    ]);
  });

  it(`spells every scriba command as \`${FORM} …\``, () => {
    expect(scan.stale, `write these as \`${FORM} <command> …\``).toEqual([]);
  });

  const cases = [...bySubcommand.entries()].map(([subcommand, uses]) => {
    const args = subcommand === '' ? ['--help'] : [subcommand, '--help'];
    return { line: [FORM, ...args].join(' '), subcommand, args, uses };
  });
  it.each(cases)('`$line` runs and knows every documented flag', async ({ subcommand, args, uses }) => {
    const { stdout } = await run(BIN, args, { cwd: ROOT, env });
    expect(stdout).toContain(subcommand === '' ? 'Usage:' : `scriba ${subcommand}`);
    for (const use of uses) {
      for (const flag of use.flags) expect(stdout, `${use.where}: ${use.text}`).toMatch(new RegExp(`${flag}(?![\\w-])`));
    }
  });
});
