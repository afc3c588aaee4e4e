/** The part of @pushcorn/hocon-parser (plain JavaScript, no type declarations) that src/config/hocon-text.ts uses. */
declare module '@pushcorn/hocon-parser' {
  interface ParseOptions {
    /** The HOCON text (no file is read). */
    text?: string;
    /** Where to read it from instead (`file:` URL); relative includes resolve against it. */
    url?: string;
    /** Forces the builder ('config' = HOCON whatever the file's extension). */
    builder?: string;
    /** Spec-compliant mode: no `@` include shorthand, no number guessing in strings. */
    strict?: boolean;
    /** Whether substitutions fall back to process.env. */
    env?: boolean;
    /** Looked up for substitutions the document itself does not resolve. */
    scope?: Record<string, unknown>;
  }
  type AnyClass = abstract new (...args: never[]) => object;
  interface Parser {
    (options: ParseOptions): Promise<unknown>;
    /** Registers (or replaces, by class name) a source, builder or transform. */
    registerComponent(...classes: Array<AnyClass & { readonly name: string }>): void;
    readonly SourceAdapter: AnyClass;
    readonly BuilderAdapter: AnyClass;
    readonly TransformAdapter: AnyClass;
  }
  const parse: Parser;
  export = parse;
}
