/** `scriba <command> --help`: the lines of the usage text about one command, with its closing notes. */

/** Whether args ask for help (`--help`/`-h` before any `--`). */
export function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * From a usage text of the form "Usage:\n  scriba <command> …\n<continuation lines indented further>…\n\n<notes>",
 * the block of `command` and the notes; undefined for a command the text does not know.
 */
export function commandUsage(usage: string, command: string): string | undefined {
  const [synopsis = '', ...notes] = usage.split('\n\n');
  const picked: string[] = [];
  let inside = false;
  for (const line of synopsis.split('\n')) {
    const head = /^ {2}scriba (\S+)/.exec(line);
    if (head) inside = head[1] === command;
    else if (!/^ {3,}\S/.test(line)) inside = false;
    if (inside) picked.push(line);
  }
  if (picked.length === 0) return undefined;
  return ['Usage:', ...picked].join('\n') + notes.map((n) => `\n\n${n}`).join('');
}
