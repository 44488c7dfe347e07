/**
 * Fires the plan's events when the run reaches their moment: SIGKILL of a poller, a worker or the
 * sweeper role (each started again after its down time), a scheduling sweep killed mid-run (then run
 * again to its end), restarts and crash-stops (SIGKILL) of Temporal, Redis and PostgreSQL, pauses
 * (SIGSTOP, then SIGCONT) of a poller, a worker or the sweeper role, and windows in which the SQS
 * proxy loses the answers of sends, receives or deletes after SQS applied them. An event planned to
 * overlap the next one is not awaited: the next fires while it still lasts.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StackService } from '../stack/service';
import type { ChaosEventKind, PlannedEvent } from './plan';
import { runToEnd, type SupervisedRole } from './roles';
import { crash, restart, type ChaosServers } from './servers';
import { total, type SqsAnswerFamily, type SqsFaultProxy } from './sqs-proxy';

export interface EventTargets {
  servers: ChaosServers;
  sqsProxy: SqsFaultProxy;
  pollers: SupervisedRole[];
  workers: SupervisedRole[];
  sweeper: SupervisedRole;
  startSweep: (name: string) => ChildProcess;
  /** Makes a set of schedules due, for the next sweep. */
  seedDueSchedules: () => Promise<void>;
  /** Resolves once a sweep holds claims it has not marked sent. */
  claimsInFlight: (signal: AbortSignal, since: Date) => Promise<void>;
  /**
   * Told the moment a sweep is SIGKILLed (before it runs again), for the recovery delays; returns
   * how many claims it left unsent.
   */
  sweepKilled?: (killedAt: Date, startedAt: Date) => Promise<number>;
}

export interface FiredEvent {
  kind: ChaosEventKind;
  plannedAt: number;
  firedAt: number;
  tookMs: number;
  note: string;
  /** The event fired while this one still lasted. */
  overlappedBy?: ChaosEventKind;
}

/** How long into an overlapping event its partner fires: the pause or stop has surely begun. */
const OVERLAP_LAG_MS = 2_000;

async function killAndRestart(role: SupervisedRole, downMs: number): Promise<string> {
  await role.kill();
  await sleep(downMs);
  await role.restart();
  return `${role.name} SIGKILLed, restarted after ${downMs} ms`;
}

async function crashServer(server: StackService, downMs: number): Promise<string> {
  await crash(server, downMs);
  return `${server.name} SIGKILLed, down ${downMs} ms, started again on its data`;
}

async function pauseRole(role: SupervisedRole, pauseMs: number): Promise<string> {
  return (await role.pause(pauseMs))
    ? `${role.name} SIGSTOPped ${pauseMs} ms, then SIGCONT`
    : `${role.name} was not running (restarting); nothing to pause`;
}

async function restartServer(server: StackService, downMs: number): Promise<string> {
  await restart(server, downMs);
  return `${server.name} stopped ${downMs} ms and started again`;
}

/**
 * Makes schedules due and starts a sweep; kills it as soon as it holds claims it has not marked sent
 * (or `runMs` after its start), then runs the sweep again to its end, as the next tick would. The
 * claims the killed sweep left unsent are the claim-sweeper's to send.
 */
async function interruptSweep(targets: EventTargets, runMs: number): Promise<string> {
  await targets.seedDueSchedules();
  const startedAt = new Date();
  const first = targets.startSweep('scheduling-sweep');
  const watching = new AbortController();
  await Promise.race([runToEnd(first), targets.claimsInFlight(watching.signal, startedAt), sleep(runMs)]);
  watching.abort();
  const finishedFirst = first.exitCode !== null;
  first.kill('SIGKILL');
  await runToEnd(first);
  const leftUnsent = finishedFirst ? 0 : await targets.sweepKilled?.(new Date(), startedAt);
  const second = await runToEnd(targets.startSweep('scheduling-sweep'));
  if (second.code !== 0)
    throw new Error(`the scheduling sweep run after the kill exited ${second.code ?? second.signal}`);
  if (finishedFirst) return `sweep finished within ${runMs} ms (nothing to interrupt); ran again`;
  if (leftUnsent === 0) return `sweep SIGKILLed at its ${runMs} ms deadline, holding no unsent claim; ran again`;
  return `sweep SIGKILLed holding ${leftUnsent ?? 'some'} unsent claims; ran again to its end`;
}

/** Half the matching calls in a window: enough to hit most of them, while the others go through. */
const LOSS_PROBABILITY = 0.5;
/** A window that saw no call of its family stays open up to this much longer, so it loses something. */
const LOSS_WINDOW_EXTENSION_MS = 30_000;

async function loseAnswers(proxy: SqsFaultProxy, family: SqsAnswerFamily, windowMs: number): Promise<string> {
  const opened = Date.now();
  proxy.loseAnswers(family, LOSS_PROBABILITY);
  await sleep(windowMs);
  const deadline = Date.now() + LOSS_WINDOW_EXTENSION_MS;
  let open = proxy.peekLoss();
  while (open && total(open.lost) === 0 && Date.now() < deadline) {
    await sleep(250);
    open = proxy.peekLoss();
  }
  const { seen, lost } = proxy.endLoss()!;
  const perAction = Object.keys(seen).map((action) => `${action} ${lost[action] ?? 0}/${seen[action]}`);
  return `lost ${total(lost)} of ${total(seen)} ${family} answers in ${Date.now() - opened} ms${total(seen) ? ` (${perAction.join(', ')})` : ''}`;
}

function fire(event: PlannedEvent, targets: EventTargets): Promise<string> {
  const { servers, pollers, workers, sweeper } = targets;
  switch (event.kind) {
    case 'kill-poller':
      return killAndRestart(pollers[event.replica % pollers.length]!, event.downMs);
    case 'kill-worker':
      return killAndRestart(workers[event.replica % workers.length]!, event.downMs);
    case 'kill-sweeper':
      return killAndRestart(sweeper, event.downMs);
    case 'interrupt-sweep':
      return interruptSweep(targets, event.downMs);
    case 'restart-temporal':
      return restartServer(servers.temporal, event.downMs);
    case 'restart-redis':
      return restartServer(servers.redis, event.downMs);
    case 'restart-postgres':
      return restartServer(servers.postgres, event.downMs);
    case 'crash-temporal':
      return crashServer(servers.temporal, event.downMs);
    case 'crash-redis':
      return crashServer(servers.redis, event.downMs);
    case 'crash-postgres':
      return crashServer(servers.postgres, event.downMs);
    case 'pause-poller':
      return pauseRole(pollers[event.replica % pollers.length]!, event.downMs);
    case 'pause-worker':
      return pauseRole(workers[event.replica % workers.length]!, event.downMs);
    case 'pause-sweeper':
      return pauseRole(sweeper, event.downMs);
    case 'lose-send-answers':
      return loseAnswers(targets.sqsProxy, 'send', event.downMs);
    case 'lose-receive-answers':
      return loseAnswers(targets.sqsProxy, 'receive', event.downMs);
    case 'lose-delete-answers':
      return loseAnswers(targets.sqsProxy, 'delete', event.downMs);
  }
}

/**
 * Runs the events in order, each once `progress()` reaches its moment, or once `finished()` says the
 * work ran out first: every planned event fires in every run. An event with `overlapsNext` is left
 * running; the next one fires `OVERLAP_LAG_MS` later, whatever the progress, and both are awaited.
 */
export async function runEvents(
  events: PlannedEvent[],
  targets: EventTargets,
  progress: () => Promise<number>,
  finished: () => boolean,
  log: (line: string) => void,
): Promise<FiredEvent[]> {
  const fired: FiredEvent[] = [];
  let overlapping: { record: Promise<FiredEvent>; kind: ChaosEventKind } | undefined;
  for (const event of events) {
    let now = await progress();
    while (!overlapping && now < event.atProgress && !finished()) {
      await sleep(500);
      now = await progress();
    }
    const record = fireAndLog(event, targets, now, log);
    if (event.overlapsNext) {
      // Awaited after its partner; a failure meanwhile must not count as unhandled.
      record.catch(() => undefined);
      overlapping = { record, kind: event.kind };
      await sleep(OVERLAP_LAG_MS);
      continue;
    }
    fired.push(await record);
    if (overlapping) {
      fired.push({ ...(await overlapping.record), overlappedBy: event.kind });
      overlapping = undefined;
    }
  }
  if (overlapping) fired.push(await overlapping.record);
  return fired;
}

async function fireAndLog(
  event: PlannedEvent,
  targets: EventTargets,
  now: number,
  log: (line: string) => void,
): Promise<FiredEvent> {
  const started = Date.now();
  const note = await fire(event, targets);
  log(`${event.kind} at ${(now * 100).toFixed(0)} % — ${note}`);
  return { kind: event.kind, plannedAt: event.atProgress, firedAt: now, tookMs: Date.now() - started, note };
}
