/**
 * Every brewery occupant of this worker: for each environment and each of its XMPP server hosts, one occupant
 * per session slot (nicknames `<nick>`, `<nick>-2`, …), each with its own connection. Presence is derived in
 * one place: a slot is busy while it serves a session, and also while admission could not fund one more
 * session (API jobs took the CPU) or the worker drains, so Jicofo only picks occupants that can start.
 */
import type { JobPolicy, JobRequest } from '../domain/job-request.ts';
import type { Logger } from '../log/logger.ts';
import { BreweryOccupant } from './brewery-occupant.ts';
import { BrewerySlot, type SlotSession } from './brewery-slot.ts';
import { slotNickname } from './jibri-stanzas.ts';
import type { StartRefusal } from './start-iq.ts';
import type { XmppEnvironment, XmppSettings } from './xmpp-environment.ts';

export interface BreweryPoolDeps {
  readonly settings: XmppSettings;
  /** Occupants per environment and host: as many sessions as the worker's budget can run at once. */
  readonly slots: number;
  readonly policy: JobPolicy;
  readonly logger: Logger;
  newId(): string;
  /** How many more sessions admission could fund right now (0 while draining). */
  fundable(): number;
  /** Whether the worker is healthy (its queue answers). */
  healthy(): boolean;
  start(request: JobRequest): Promise<SlotSession | StartRefusal>;
  /** Single-use mode: called once, after the first brewery session ended. */
  onExpired?(): void;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly pingEveryMs?: number;
}

interface Member {
  readonly env: XmppEnvironment;
  readonly host: string;
  readonly occupant: BreweryOccupant;
  readonly slot: BrewerySlot;
}

export interface OccupantView {
  readonly environment: string;
  readonly occupantJid: string;
  readonly joined: boolean;
  readonly busy: boolean;
  readonly serving: boolean;
}

export class BreweryPool {
  readonly #deps: BreweryPoolDeps;
  readonly #members: Member[] = [];
  #expired = false;
  #closed: Promise<void> | null = null;

  constructor(deps: BreweryPoolDeps) {
    this.#deps = deps;
    const single = deps.settings.singleUseMode;
    for (const env of deps.settings.environments) {
      for (const host of env.xmppServerHosts) {
        for (let i = 0; i < deps.slots; i++) {
          const nickname = slotNickname(env.controlMuc.nickname, i);
          const logger = deps.logger.child({ environment: env.name, occupant: nickname });
          // The slot and its occupant refer to each other: the slot is assigned right below.
          let slot: BrewerySlot;
          const occupant = new BreweryOccupant({
            login: {
              host,
              port: env.controlLogin.port,
              domain: env.controlLogin.domain,
              username: env.controlLogin.username,
              password: env.controlLogin.password,
              trustAllCerts: env.trustAllXmppCerts,
            },
            roomJid: `${env.controlMuc.roomName}@${env.controlMuc.domain}`.toLowerCase(),
            nickname,
            logger,
            onJibriIq: (iq) => slot.handleIq(iq),
            onConnectionLost: () => slot.connectionLost(),
            ...(deps.backoff ? { backoff: deps.backoff } : {}),
            ...(deps.pingEveryMs ? { pingEveryMs: deps.pingEveryMs } : {}),
          });
          slot = new BrewerySlot({
            env,
            policy: deps.policy,
            logger,
            occupant,
            newId: deps.newId,
            canFund: () => deps.fundable() > 0,
            start: (request) => deps.start(request),
            closed: () => this.#expired || this.#closed !== null,
            onFree: () => this.refresh(),
            ...(single ? { onExpired: () => this.#expire() } : {}),
          });
          this.#members.push({ env, host, occupant, slot });
        }
      }
    }
  }

  start(): void {
    this.refresh();
    for (const m of this.#members) m.occupant.start();
  }

  /**
   * Republishes each occupant's presence where it changed. Per environment and host, the first free slots up
   * to what admission can fund show idle; the rest show busy.
   */
  refresh(): void {
    const fundable = this.#closed !== null || this.#expired ? 0 : this.#deps.fundable();
    const healthy = this.#deps.healthy();
    const idleSoFar = new Map<string, number>();
    for (const m of this.#members) {
      const group = `${m.env.name}\n${m.host}`;
      const idle = idleSoFar.get(group) ?? 0;
      const showIdle = !m.slot.busy && idle < fundable;
      if (showIdle) idleSoFar.set(group, idle + 1);
      void m.occupant.setStatus({ busy: !showIdle, healthy });
    }
  }

  /** For health and tests: each occupant and what it shows. */
  view(): OccupantView[] {
    return this.#members.map((m) => ({
      environment: m.env.name,
      occupantJid: m.occupant.occupantJid,
      joined: m.occupant.state === 'joined',
      busy: m.occupant.status.busy,
      serving: m.slot.busy,
    }));
  }

  /** Leaves every brewery (after presence busy, so Jicofo picks no occupant that is going away). Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.refresh();
      await Promise.all(this.#members.map((m) => m.occupant.close()));
    })();
    return this.#closed;
  }

  #expire(): void {
    if (this.#expired) return;
    this.#expired = true;
    this.refresh();
    this.#deps.onExpired?.();
  }
}
