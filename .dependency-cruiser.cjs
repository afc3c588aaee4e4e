/**
 * Import rules, checked by `npm run lint:imports` (and by `npm test`, right after the type-check).
 *
 * Layers: src/domain is pure (types, validation, reducers); the other src/ folders build on it; workers/ are
 * the composition roots that pick real implementations and wire them; test/, bench/ and scripts/ use both.
 * A rule here with an exception names the exact files and says why.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A module cycle (type-only imports included) makes load order matter and layers meaningless.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'src/domain imports only src/domain and npm packages (zod): no Node built-ins, no other layer.',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', '^node_modules/'] },
    },
    {
      name: 'lib-is-a-leaf',
      severity: 'error',
      comment: 'src/lib (waits, aborts) is used by every layer, so it imports only src/domain (the error type).',
      from: { path: '^src/lib/' },
      to: { path: '^src/', pathNot: ['^src/domain/', '^src/lib/'] },
    },
    {
      name: 'process-is-a-leaf',
      severity: 'error',
      comment:
        'src/process (how children are spawned and stopped) is used by every layer that starts one: it imports only src/domain and src/lib.',
      from: { path: '^src/process/' },
      to: { path: '^src/', pathNot: ['^src/domain/', '^src/lib/', '^src/process/'] },
    },
    {
      name: 'src-not-workers',
      severity: 'error',
      comment:
        'src/ never imports the composition roots. Exception: the CLI commands that start a root ' +
        '(`scriba record`, `worker`, `enqueue`, `serve`, `api`, `demo`): bin/scriba.js → src/cli/main.ts → the command → the ' +
        'root is the process entry, so these four command modules are the one place src/ reaches into workers/.',
      from: {
        path: '^src/',
        pathNot: [
          '^src/cli/record-command\\.ts$',
          '^src/cli/worker-command\\.ts$',
          '^src/cli/serve-command\\.ts$',
          '^src/cli/demo-command\\.ts$',
        ],
      },
      to: { path: '^workers/' },
    },
    {
      name: 'roots-independent',
      severity: 'error',
      comment: 'A composition root imports only src/; what two roots share is a factory in src/, not an import of the other.',
      from: { path: '^workers/', pathNot: ['^workers/serve\\.ts$', '^workers/worker\\.ts$'] },
      to: { path: '^workers/' },
    },
    {
      name: 'serve-composes-api-and-worker',
      severity: 'error',
      comment: '`scriba serve` is the API root and the worker root in one process: it may start those two, nothing else.',
      from: { path: '^workers/serve\\.ts$' },
      to: { path: '^workers/', pathNot: '^workers/(api|worker)\\.ts$' },
    },
    {
      name: 'worker-wires-recorder',
      severity: 'error',
      comment: 'The worker root wires in the session factory (workers/recorder.ts); it imports no other root.',
      from: { path: '^workers/worker\\.ts$' },
      to: { path: '^workers/', pathNot: '^workers/recorder\\.ts$' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import the checker cannot resolve is an import it cannot check.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // typescript@7.0 has no compiler API for dependency-cruiser; swc parses TypeScript, type-only imports included.
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
