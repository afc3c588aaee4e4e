/**
 * The in-page scripts: plain browser JavaScript in src/browser/page-scripts/ (checked by tsc, see globals.d.ts
 * there), read once, and the expressions that call them in the meeting page.
 */
import { readFileSync } from 'node:fs';

/** The source of `page-scripts/<name>`: beside this module both in the repository and in the image. */
export function pageScript(name: string): string {
  return readFileSync(new URL(`./page-scripts/${name}`, import.meta.url), 'utf8').trim();
}

/**
 * The expression that calls the function in `fnSource` with `args`. JSON is valid JavaScript: the arguments
 * arrive as data, never as code. A trailing semicolon of the source is dropped, and the newline ends a
 * trailing line comment.
 */
export function callExpression(fnSource: string, ...args: unknown[]): string {
  return `(${fnSource.replace(/;\s*$/, '')}\n)(${args.map((arg) => String(JSON.stringify(arg))).join(', ')})`;
}
