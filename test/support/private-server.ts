/**
 * A server of the stack's own kind, on its own port and data folder, for a test that must stop and
 * start it without disturbing the shared stack. Starts from an empty data folder; stopped after the file.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { DATA_DIR } from '../../scripts/stack/paths';
import { portFromEnv, type StackService } from '../../scripts/stack/service';
import { temporalService } from '../../scripts/stack/services/temporal';
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

/**
 * A Temporal dev server of the test file's own, defined as the stack's is: `STACK_TEST_<envName>_TEMPORAL_PORT`
 * and `_TEMPORAL_UI_PORT` move it off its default ports. Started before the file's tests from an empty data
 * folder, stopped after them.
 */
export function usePrivateTemporal(
  name: string,
  { envName, port: defaultPort, uiPort }: { envName: string; port: number; uiPort: number },
): { server: StackService; port: number; address: string; dataDir: string } {
  const variable = (suffix: string) => `STACK_TEST_${envName ? `${envName}_` : ''}TEMPORAL_${suffix}`;
  const port = portFromEnv(variable('PORT'), defaultPort);
  const dataDir = privateDataDir(name);
  const server = temporalService({
    name: `${name}-test`,
    port,
    uiPort: portFromEnv(variable('UI_PORT'), uiPort),
    dataDir,
  });
  usePrivateServer(server, dataDir);
  return { server, port, address: `127.0.0.1:${port}`, dataDir };
}
