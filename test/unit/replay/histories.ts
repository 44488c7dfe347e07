/**
 * The recorded histories (test/fixtures/histories/*.json, `npm run record:histories`), each named
 * `<workflow type>-<how it ended>.json` and read from the CLI's JSON form.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

export const HISTORIES_DIR = path.resolve(__dirname, '../../fixtures/histories');

export const OUTCOMES = ['completed', 'compensated', 'needs-attention', 'cancelled'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface RecordedHistory {
  file: string;
  workflowType: string;
  outcome: Outcome;
  /** The file's JSON as recorded (what a secret scan reads). */
  text: string;
  history: History;
}

/**
 * The SDK's historyFromJSON, with the protobufjs that @temporalio/proto's types belong to. In this
 * install @temporalio/common and @temporalio/proto each have a copy of protobufjs 8, and the SDK's
 * own historyFromJSON reads with common's copy, which refuses proto's types ("type must be a Type").
 * The CLI's JSON needs none of the SDK's fixes for older JSON forms.
 */
function historyFromJSON(json: unknown): History {
  const protoDir = path.dirname(require.resolve('@temporalio/proto'));
  const { fromJson } = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] })) as {
    fromJson: (type: unknown, json: unknown, options: object) => History | null;
  };
  const historyType = (patchProtobufRoot(proto) as unknown as { lookupType: (name: string) => unknown }).lookupType(
    'temporal.api.history.v1.History',
  );
  const history = fromJson(historyType, json, { ignoreUnknownFields: true });
  if (!history) throw new TypeError('not a history');
  return history;
}

function parseName(file: string): { workflowType: string; outcome: Outcome } {
  const match = /^([A-Za-z]+)-(.+)\.json$/.exec(file);
  const outcome = OUTCOMES.find((candidate) => candidate === match?.[2]);
  if (!match || !outcome) throw new Error(`${file}: name it <workflow type>-<${OUTCOMES.join('|')}>.json`);
  return { workflowType: match[1]!, outcome };
}

export function recordedHistories(): RecordedHistory[] {
  return readdirSync(HISTORIES_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(path.join(HISTORIES_DIR, file), 'utf8');
      return { file, ...parseName(file), text, history: historyFromJSON(JSON.parse(text)) };
    });
}

export function recordedHistory(file: string): RecordedHistory {
  const found = recordedHistories().find((recorded) => recorded.file === file);
  if (!found) throw new Error(`no recorded history ${file} in ${HISTORIES_DIR}`);
  return found;
}
