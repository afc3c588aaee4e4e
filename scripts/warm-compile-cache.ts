/**
 * Fills Node's compile cache (the directory NODE_COMPILE_CACHE names) with the modules the commands load,
 * those loaded on first use included, so the first `scriba record` or worker start in a fresh container is as
 * quick as a later one. The Dockerfile runs it at build time; importing these modules starts nothing.
 */
import module from 'node:module';

if (!process.env['NODE_COMPILE_CACHE']) {
  process.stderr.write('warm-compile-cache: set NODE_COMPILE_CACHE to the directory to fill\n');
  process.exit(2);
}
for (const specifier of [
  '../src/cli/record-command.ts',
  '../src/cli/serve-command.ts',
  '../src/cli/worker-command.ts',
  '../src/config/jibri-conf.ts',
  '../src/session/transcript-writer.ts',
  '../src/transcription/pocketsphinx-engine.ts',
  '../src/transcription/google-engine.ts',
  '../src/transcription/openai-engine.ts',
  '../src/transcription/vosk-engine.ts',
  '../src/transcription/sherpa-engine.ts',
  'puppeteer-core',
  'fluent-ffmpeg',
  '@google-cloud/speech',
]) {
  await import(specifier);
}
module.flushCompileCache();
process.stdout.write(`compile cache filled: ${process.env['NODE_COMPILE_CACHE']}\n`);
