/** The `scriba` commands README.md and docs/*.md tell people to type, and the forms they must not use. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** How the docs spell the command: works from the repository on any Node once setup has run. */
export const FORM = 'bin/scriba.js';
/** Other spellings: they fail on an old system Node or need something first, so the docs do not use them. */
const STALE = [/\bnode\s+(\.\/)?src\/cli\/main\.ts\b/, /\bnpm\s+run\s+scriba\b/, /\bnpx\s+scriba\b/];
const SHELL_FENCES = new Set(['', 'sh', 'bash', 'shell', 'console']);

export interface DocumentedCommand {
  readonly where: string;
  readonly text: string;
  /** The first word after the form ('' for `bin/scriba.js --help`). */
  readonly subcommand: string;
  /** Every `--flag` the command line shows. */
  readonly flags: readonly string[];
}

export interface DocScan {
  readonly commands: DocumentedCommand[];
  /** Places that spell a scriba command some other way. */
  readonly stale: string[];
}

export function markdownFiles(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join('docs', f));
  return ['README.md', ...docs];
}

export function scanMarkdown(markdown: string, file: string): DocScan {
  const commands: DocumentedCommand[] = [];
  const stale: string[] = [];
  const lines = markdown.split('\n');
  let fence: { marker: string; shell: boolean } | undefined;
  const take = (text: string, where: string) => {
    const words = text.slice(FORM.length).trim().split(/\s+/);
    const first = words[0] ?? '';
    // `bin/scriba.js <command>` stands for them all.
    if (/^[<[]/.test(first)) return;
    const uncommented = text.replace(/\s#.*$/, '');
    commands.push({
      where,
      text,
      subcommand: first.startsWith('-') ? '' : first,
      flags: [...new Set(uncommented.match(/(?<![\w-])--[a-z][a-z0-9-]*/g) ?? [])].filter((f) => f !== '--help'),
    });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const where = `${file}:${i + 1}`;
    const open = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (fence === undefined && open) {
      fence = { marker: open[1]!, shell: SHELL_FENCES.has(open[2]!.toLowerCase()) };
      continue;
    }
    if (fence !== undefined && line.trim().startsWith(fence.marker)) {
      fence = undefined;
      continue;
    }
    if (fence !== undefined) {
      if (STALE.some((re) => re.test(line))) stale.push(`${where}: ${line.trim()}`);
      if (!fence.shell) continue;
      const text = line.trim().replace(/^\$\s+/, '');
      if (text.startsWith(`${FORM} `) || text === FORM) {
        let full = text;
        while (full.endsWith('\\') && i + 1 < lines.length) full = `${full.slice(0, -1)} ${lines[++i]!.trim()}`;
        take(full, where);
      } else if (/^scriba\s/.test(text)) {
        stale.push(`${where}: ${text}`);
      }
    } else {
      // A code span may go on over a line break.
      let text = line;
      while ((text.match(/`/g)?.length ?? 0) % 2 === 1 && i + 1 < lines.length && !/^\s*(`{3,}|~{3,})/.test(lines[i + 1]!)) {
        text = `${text} ${lines[++i]!.trim()}`;
      }
      if (STALE.some((re) => re.test(text))) stale.push(`${where}: ${text.trim()}`);
      for (const m of text.matchAll(/`([^`]+)`/g)) {
        const span = m[1]!.trim();
        if (span.startsWith(`${FORM} `) || span === FORM) take(span, where);
      }
    }
  }
  return { commands, stale };
}

export function scanDocs(root: string): DocScan {
  const scans = markdownFiles(root).map((f) => scanMarkdown(readFileSync(join(root, f), 'utf8'), f));
  return { commands: scans.flatMap((s) => s.commands), stale: scans.flatMap((s) => s.stale) };
}
