import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const DATA_DIR = path.join(REPO_ROOT, '.data');
export const LOGS_DIR = path.join(DATA_DIR, 'logs');
export const PIDS_DIR = path.join(DATA_DIR, 'pids');
export const TOOLS_BIN = path.join(REPO_ROOT, '.tools', 'bin');
export const STACK_ENV_FILE = path.join(DATA_DIR, 'stack.env');
