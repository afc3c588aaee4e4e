/**
 * A worker process for bench/queue.ts: claims jobs from either queue until SIGTERM and prints, per job,
 * `claimed <id> <attempts> <epochMs>` then `completed <id> <ok>`. Jobs do no work: this measures the queue.
 * Usage: node queue-worker.ts sqlite <file> <workerId> <pollMs> | bullmq <redisUrl> <workerId> <pollMs> <queueName>
 */
import { createBullmqQueue } from '../../src/queue/bullmq-queue.ts';
import type { JobQueue } from '../../src/queue/job-queue.ts';
import { createSqliteQueue } from '../../src/queue/sqlite-queue.ts';

const [backend, where, workerId, pollMsArg, queueName] = process.argv.slice(2);
if (!backend || !where || !workerId) throw new Error('usage: queue-worker.ts sqlite|bullmq <file|url> <workerId> <pollMs> [queueName]');
const timing = { pollMs: Number(pollMsArg ?? 200), leaseMs: 30_000, maxAttempts: 3 };
const queue: JobQueue<{ n: number }> =
  backend === 'sqlite'
    ? createSqliteQueue({ path: where, timing })
    : createBullmqQueue({ connection: { url: where }, queueName: queueName ?? 'bench', timing });
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
process.stdout.write('ready\n');
let out = '';
const flush = setInterval(() => {
  if (out) process.stdout.write(out);
  out = '';
}, 50);
for (;;) {
  const job = await queue.claim({ workerId, signal: stop.signal });
  if (job === null) break;
  out += `claimed ${job.id} ${job.attempts} ${Date.now()}\n`;
  const ok = await queue.complete(job.id, job.token, null);
  out += `completed ${job.id} ${ok}\n`;
}
clearInterval(flush);
process.stdout.write(out);
await queue.close();
