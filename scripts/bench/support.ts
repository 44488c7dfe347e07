/** What every benchmark shares: sizes from the environment, a fresh database, percentiles, output. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { migrate } from '../../src/commands/migrate';
import { loadConfig } from '../../src/config';
import { DATA_DIR } from '../stack/paths';

export const BENCH_DIR = path.join(DATA_DIR, 'bench');

/** A positive whole number from the environment, or the default; anything else stops the bench. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  return value;
}

/** A comma-separated list of positive whole numbers from the environment, or the default. */
export function envInts(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map(Number);
  if (!values.every((value) => Number.isInteger(value) && value > 0))
    throw new Error(`${name} must list positive whole numbers, got "${raw}"`);
  return values;
}

/**
 * LOG_LEVEL of the processes the benchmarks start: BENCH_LOG_LEVEL, else `info`, the roles' default
 * (the sweep logs a line per message sent, the poller two per message, the worker one per activity).
 */
export function roleLogLevel(): string {
  return process.env.BENCH_LOG_LEVEL || 'info';
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
}

export function latencySummary(values: number[]): Latency {
  return { p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) };
}

/** The machine's 1-minute load average, to read figures against (other work on a 2-core box depresses them). */
export function load1(): number {
  return +loadavg()[0]!.toFixed(2);
}

/** User + system CPU milliseconds this process has used since `start` (`process.cpuUsage()`). */
export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

/** Linux counts a process's CPU time in clock ticks of 1/100 s (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * User + system CPU milliseconds a process has used so far (`/proc/<pid>/stat` utime + stime), so a
 * benchmark can charge a child process, or a server it did not start, for the work done in a window;
 * undefined when the process is gone or /proc is not there.
 */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which sits in parentheses and may hold spaces: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Drops and re-creates `name` on the stack's PostgreSQL, migrated; returns its URL. */
export async function freshDatabase(name: string): Promise<string> {
  const base = loadConfig().database.url;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  await migrate(loadConfig({ ...process.env, DATABASE_URL: url.toString() }));
  return url.toString();
}

/** Writes `.data/bench/<name>.json`; returns its path relative to the repository. */
export function writeBenchJson(name: string, data: unknown): string {
  mkdirSync(BENCH_DIR, { recursive: true });
  writeFileSync(path.join(BENCH_DIR, `${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
  return `.data/bench/${name}.json`;
}

/** A plain-text table (Markdown pipes), columns padded to their widest cell. */
export function formatTable(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '';
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (row: Record<string, string | number>, column: string) => String(row[column] ?? '');
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row, column).length)));
  const line = (cells: string[]) => `| ${cells.map((text, i) => text.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(columns),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...rows.map((row) => line(columns.map((column) => cell(row, column)))),
  ].join('\n');
}
