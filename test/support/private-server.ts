/**
 * A server of the stack's own kind, on its own port and data folder, for a test that must stop and
 * start it without disturbing the shared stack. Starts from an empty data folder; stopped after the file.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { DATA_DIR } from '../../scripts/stack/paths';
import type { StackService } from '../../scripts/stack/service';
import { startService, stopService } from '../../scripts/stack/stack';

export const privateDataDir = (name: string) => path.join(DATA_DIR, 'test', name);

export function usePrivateServer(server: StackService, dataDir: string): void {
  beforeAll(async () => {
    await stopService(server);
    rmSync(dataDir, { recursive: true, force: true });
    await startService(server);
  });
  afterAll(() => stopService(server));
}
