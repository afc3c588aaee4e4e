/**
 * What one brewery occupant does with start and stop IQs, as Jibri answers them (docs/jitsi-deployment.md):
 * a start on a free, fundable slot publishes busy presence, is answered `pending`, and later `on` once capture
 * runs and `off` (with `failure_reason`/`should_retry` on failure) when the session ends; a start on a busy
 * slot is answered `off` + `busy` + retry; a start that cannot be served `off` + `error`; a stop is answered
 * `off` once the session has finished. Side effects go through the injected occupant and session starter.
 */
import type { Element } from '@xmpp/xml';
import type { JobPolicy, JobRequest } from '../domain/job-request.ts';
import type { Logger } from '../log/logger.ts';
import type { JibriIqRequest } from './brewery-occupant.ts';
import { jibriReplyChild, stanzaError, type JibriFailure, type OccupantStatus } from './jibri-stanzas.ts';
import { jibriIqAction, jobFromStartIq, type StartRefusal } from './start-iq.ts';
import type { XmppEnvironment } from './xmpp-environment.ts';

/** The occupant's side effects the slot needs. */
export interface SlotOccupant {
  setStatus(status: OccupantStatus): Promise<void>;
  sendStatus(to: string, status: 'on' | 'off', failure?: JibriFailure | null): Promise<boolean>;
}

/** How a session ended, for the final status IQ. */
export type SlotSessionEnd = { readonly ok: true } | { readonly ok: false; readonly shouldRetry: boolean; readonly message: string };

/** A running session as the slot sees it. */
export interface SlotSession {
  /** Resolves once capture runs (never when the session ends first). */
  readonly capturing: Promise<void>;
  /** Resolves once the recording has stopped and its file is finished (before its upload). */
  readonly fileFinished: Promise<void>;
  /** Resolves when the whole job has ended (uploaded, reported). */
  readonly ended: Promise<SlotSessionEnd>;
  /** Asks the session to stop; `ended` resolves when it has. */
  stop(): void;
}

export interface BrewerySlotDeps {
  readonly env: XmppEnvironment;
  readonly policy: JobPolicy;
  readonly logger: Logger;
  readonly occupant: SlotOccupant;
  newId(): string;
  /** Whether admission can fund one more session right now. */
  canFund(): boolean;
  /** Queues and starts the session on this worker; a refusal (e.g. the room is already recorded) starts nothing. */
  start(request: JobRequest): Promise<SlotSession | StartRefusal>;
  /** Jibri's single-use mode: called once the first session has ended (the slot then stays busy). */
  onExpired?(): void;
  /** Whether the worker takes no more brewery sessions (draining, single-use spent). */
  closed?(): boolean;
  /** The slot became free: the owner republishes every slot's presence. */
  onFree?(): void;
}

const BUSY: JibriFailure = { failureReason: 'busy', shouldRetry: true };

export class BrewerySlot {
  readonly #deps: BrewerySlotDeps;
  #session: SlotSession | null = null;
  /** Taken synchronously when a start is accepted, so a second start cannot slip in while the first is queued. */
  #reserved = false;
  #expired = false;
  #connectionLost = false;

  constructor(deps: BrewerySlotDeps) {
    this.#deps = deps;
  }

  /** True while a session runs (or is being started) on this slot, or single-use mode has spent it. */
  get busy(): boolean {
    return this.#reserved || this.#expired;
  }

  async handleIq(iq: JibriIqRequest): Promise<Element> {
    const action = jibriIqAction(iq.attrs);
    if (action === 'start') return this.#start(iq);
    if (action === 'stop') return this.#stop();
    this.#deps.logger.warn('jibri IQ without a start or stop action; answered bad-request');
    return stanzaError('modify', 'bad-request', 'action must be start or stop');
  }

  /** The connection that received the start is gone: Jicofo has moved on, so the session stops (its file is kept). */
  connectionLost(): void {
    if (this.#session === null) return;
    this.#connectionLost = true;
    this.#deps.logger.warn('the brewery connection of a running session was lost; stopping the session');
    this.#session.stop();
  }

  async #start(iq: JibriIqRequest): Promise<Element> {
    const { logger } = this.#deps;
    if (this.busy || (this.#deps.closed?.() ?? false) || !this.#deps.canFund()) {
      logger.info('start refused: busy');
      return jibriReplyChild('off', BUSY);
    }
    const parsed = jobFromStartIq(iq.attrs, this.#deps.env, this.#deps.policy, () => this.#deps.newId());
    if (!parsed.ok) {
      logger.warn({ reason: parsed.refusal.message }, 'start refused');
      return jibriReplyChild('off', parsed.refusal);
    }
    const request = parsed.request;
    this.#reserved = true;
    let started: SlotSession | StartRefusal;
    try {
      started = await this.#deps.start(request);
    } catch (err) {
      started = { failureReason: 'error', shouldRetry: true, message: `the session could not be queued: ${(err as Error).message}` };
    }
    if (!('ended' in started)) {
      logger.warn({ sessionId: request.sessionId, reason: started.message }, 'start refused');
      this.#reserved = false;
      this.#deps.onFree?.();
      return jibriReplyChild('off', started);
    }
    // Busy presence goes out before the reply, as Jibri does, so Jicofo never sees this slot idle afterwards.
    await this.#deps.occupant.setStatus({ busy: true, healthy: true });
    logger.info({ sessionId: request.sessionId, room: iq.attrs['room'] }, 'brewery session started; answered pending');
    this.#session = started;
    void this.#follow(iq.from, started);
    return jibriReplyChild('pending');
  }

  /** Sends `on` once capture runs and `off` at the end, then frees the slot. */
  async #follow(requester: string, session: SlotSession): Promise<void> {
    let ended = false;
    const end = session.ended.then((e) => {
      ended = true;
      return e;
    });
    await Promise.race([
      session.capturing.then(() => !ended && !this.#connectionLost && this.#deps.occupant.sendStatus(requester, 'on')),
      end,
    ]);
    const outcome = await end;
    if (!this.#connectionLost) {
      await this.#deps.occupant.sendStatus(
        requester,
        'off',
        outcome.ok ? null : { failureReason: 'error', shouldRetry: outcome.shouldRetry },
      );
    }
    this.#session = null;
    this.#connectionLost = false;
    if (this.#deps.onExpired !== undefined) {
      this.#expired = true;
      this.#deps.onExpired();
    }
    this.#reserved = false;
    this.#deps.onFree?.();
  }

  async #stop(): Promise<Element> {
    const session = this.#session;
    if (session !== null) {
      this.#deps.logger.info('stop requested by the brewery');
      session.stop();
      await session.fileFinished;
    }
    return jibriReplyChild('off');
  }
}
