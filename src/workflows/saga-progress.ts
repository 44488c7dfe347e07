/**
 * A saga's progress as the Temporal UI shows it (the workflow's current details, markdown): which step
 * of how many runs now and what it does, what is done, and once a step failed, what is being undone.
 * Plain data in, text out: the Saga keeps the data and sets the details at each change.
 */
import type { SagaStatus } from '../contracts/sagas';

export interface SagaProgress {
  saga: string;
  /** Where the saga stands: running its steps, undoing them, or ended. */
  phase: 'running' | 'compensating' | SagaStatus;
  /** The number of the step under way (the last one started), from 1. */
  step: number;
  /** How many steps the saga runs in all, once the workflow knows. */
  stepsExpected?: number;
  /** The summary of the step under way. */
  current?: string;
  /** Summaries of the steps that finished, in order. */
  done: string[];
  /** The step that failed (or was under way when the workflow was cancelled), and why. */
  failed?: { step: string; reason: string };
  /** The undo under way: its number among `of` undos, and its summary. */
  undoing?: { number: number; of: number; summary: string };
  undone: string[];
  /** Undos that failed, with their error: the saga needs a person. */
  undoFailed: string[];
}

const PHASES: Record<SagaProgress['phase'], string> = {
  running: 'running',
  compensating: 'compensating',
  completed: 'completed',
  compensated: 'compensated',
  needs_attention: 'needs attention',
};

function headline(progress: SagaProgress): string {
  const title = `**${progress.saga} saga: ${PHASES[progress.phase]}**`;
  if (progress.failed) return `${title}, after \`${progress.failed.step}\` failed: ${progress.failed.reason}`;
  if (progress.phase === 'completed') return `${title}, ${progress.done.length} steps done`;
  const of = progress.stepsExpected === undefined ? '' : ` of ${progress.stepsExpected}`;
  return `${title}, step ${progress.step}${of}: ${progress.current ?? 'starting'}`;
}

/** The last step done, when the saga is running: all of them would be a long list for a large push. */
function doneLine({ done }: SagaProgress): string {
  if (done.length === 0) return '- Done: nothing yet';
  return `- Done: ${done.length} step${done.length === 1 ? '' : 's'}, the last: ${done.at(-1)}`;
}

export function sagaProgressDetails(progress: SagaProgress): string {
  const lines = [headline(progress), ''];
  if (progress.phase === 'running') lines.push(doneLine(progress));
  if (progress.failed) lines.push(doneLine(progress));
  if (progress.undoing) {
    const { number, of, summary } = progress.undoing;
    lines.push(`- Undoing ${number} of ${of}: ${summary}`);
  }
  if (progress.failed) {
    lines.push(`- Undone: ${progress.undone.length > 0 ? progress.undone.join('; ') : 'nothing yet'}`);
  }
  if (progress.undoFailed.length > 0) lines.push(`- Undo failed: ${progress.undoFailed.join('; ')}`);
  return lines.join('\n').trimEnd();
}
