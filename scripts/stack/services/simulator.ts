/**
 * The marketplace simulator (simulator/, outside the service's tree): the stand-in for AJIO, Amazon, Flipkart
 * and Meesho that local runs and tests talk to. It keeps its state in memory only.
 */
import path from 'node:path';
import { REPO_ROOT } from '../paths';
import type { StackService } from '../service';

export function simulatorService({
  port,
  name = 'simulator',
  seed,
}: {
  port: number;
  name?: string;
  /** Seeds the draws of probabilistic faults (chaos runs replay them). */
  seed?: number;
}): StackService {
  const url = `http://127.0.0.1:${port}`;
  return {
    name,
    stopSignal: 'SIGTERM',
    startTimeoutMs: 30_000,
    program: () => process.execPath,
    async prepare() {
      return {
        name,
        command: process.execPath,
        args: ['--import', 'tsx', path.join(REPO_ROOT, 'simulator', 'src', 'main.ts')],
        env: { SIMULATOR_PORT: String(port), ...(seed === undefined ? {} : { SIMULATOR_SEED: String(seed) }) },
      };
    },
    async isHealthy() {
      const response = await fetch(`${url}/_sim/health`, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      return response.status === 200;
    },
    env: () => ({
      SIMULATOR_URL: url,
      MARKETPLACE_AJIO_URL: `${url}/ajio`,
      MARKETPLACE_AMAZON_URL: `${url}/amazon`,
      MARKETPLACE_FLIPKART_URL: `${url}/flipkart`,
      MARKETPLACE_MEESHO_URL: `${url}/meesho`,
      // The simulator speaks plain http; the service refuses http:// marketplace URLs without this.
      MARKETPLACE_ALLOW_HTTP: 'true',
      // LWA wants a client id and secret with every token request; the simulator accepts any.
      AMAZON_LWA_CLIENT_ID: 'local-lwa-client',
      AMAZON_LWA_CLIENT_SECRET: 'local-lwa-secret',
    }),
    summary: () => `Marketplace simulator ${url}`,
  };
}
