/** The one switch from a sink spec to its implementation (sink.ts holds the interface they share). */
import { createFileSink } from './file-sink.ts';
import type { Sink, SinkDeps, SinkSpec } from './sink.ts';
import { createStreamSink } from './stream-sink.ts';

export function createSink(spec: SinkSpec, deps: SinkDeps): Sink {
  switch (spec.kind) {
    case 'file':
      return createFileSink(spec, deps);
    case 'stream':
      return createStreamSink(spec, deps);
    default: {
      const unreachable: never = spec;
      throw new Error(`unknown sink kind ${String((unreachable as { kind: unknown }).kind)}`);
    }
  }
}
