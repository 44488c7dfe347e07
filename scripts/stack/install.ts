import { spawnSync } from 'node:child_process';
import { findOnPath } from './processes';

/**
 * Installs a Debian package when its program is missing. Only root can; anyone else gets the
 * command to run instead of a half-started stack.
 */
export function ensureDebianProgram(program: string, debianPackage: string): string {
  const found = findOnPath(program);
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(`${program} is not installed; run: sudo apt-get install -y ${debianPackage}`);
  }
  console.log(`installing ${debianPackage} with apt-get`);
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', debianPackage],
  ]) {
    const result = spawnSync('apt-get', args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed`);
  }
  const installed = findOnPath(program);
  if (!installed) throw new Error(`${debianPackage} installed but ${program} is still not on PATH`);
  return installed;
}
