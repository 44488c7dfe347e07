/**
 * Fires the plan's events when the run reaches their moment: SIGKILL of a poller, a worker or the
 * sweeper role (each started again after its down time), a scheduling sweep killed mid-run (then run
 * again to its end), restarts of Temporal, Redis and PostgreSQL, and windows in which the SQS proxy
 * loses the answers of sends, receives or deletes after SQS applied them.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StackService } from '../stack/service';
import type { ChaosEventKind, PlannedEvent } from './plan';
import { runToEnd, type SupervisedRole } from './roles';
import { restart, type ChaosServers } from './servers';
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
  claimsInFlight: (signal: AbortSignal) => Promise<void>;
}

export interface FiredEvent {
  kind: ChaosEventKind;
  plannedAt: number;
  firedAt: number;
  tookMs: number;
  note: string;
}

async function killAndRestart(role: SupervisedRole, downMs: number): Promise<string> {
  await role.kill();
  await sleep(downMs);
  await role.restart();
  return `${role.name} SIGKILLed, restarted after ${downMs} ms`;
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
  const first = targets.startSweep('scheduling-sweep');
  const watching = new AbortController();
  await Promise.race([runToEnd(first), targets.claimsInFlight(watching.signal), sleep(runMs)]);
  watching.abort();
  const finishedFirst = first.exitCode !== null;
  first.kill('SIGKILL');
  await runToEnd(first);
  const second = await runToEnd(targets.startSweep('scheduling-sweep'));
  if (second.code !== 0)
    throw new Error(`the scheduling sweep run after the kill exited ${second.code ?? second.signal}`);
  return finishedFirst
    ? `sweep finished within ${runMs} ms (nothing to interrupt); ran again`
    : 'sweep SIGKILLed while holding unsent claims (or at its deadline); ran again to its end';
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
 * work ran out first: every planned event fires in every run.
 */
export async function runEvents(
  events: PlannedEvent[],
  targets: EventTargets,
  progress: () => Promise<number>,
  finished: () => boolean,
  log: (line: string) => void,
): Promise<FiredEvent[]> {
  const fired: FiredEvent[] = [];
  for (const event of events) {
    let now = await progress();
    while (now < event.atProgress && !finished()) {
      await sleep(500);
      now = await progress();
    }
    const started = Date.now();
    const note = await fire(event, targets);
    fired.push({ kind: event.kind, plannedAt: event.atProgress, firedAt: now, tookMs: Date.now() - started, note });
    log(`${event.kind} at ${(now * 100).toFixed(0)} % — ${note}`);
  }
  return fired;
}
