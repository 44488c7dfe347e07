/**
 * `SIMULATOR_PORT=18090 tsx simulator/src/main.ts`: the simulator as its own process.
 * It imports nothing outside its folder, so it starts even while the service's own code is broken.
 */
import { startSimulator } from './server';

const DEFAULT_PORT = 18090;

function portFromEnv(): number {
  const raw = process.env.SIMULATOR_PORT;
  if (!raw) return DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`SIMULATOR_PORT must be a TCP port, got "${raw}"`);
  }
  return port;
}

function seedFromEnv(): number | undefined {
  const raw = process.env.SIMULATOR_SEED;
  if (!raw) return undefined;
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`SIMULATOR_SEED must be a whole number, got "${raw}"`);
  return seed;
}

async function main(): Promise<void> {
  // Loopback unless told otherwise (a container's simulator must answer its neighbours).
  const simulator = await startSimulator({
    port: portFromEnv(),
    host: process.env.SIMULATOR_HOST || '127.0.0.1',
    seed: seedFromEnv(),
  });
  console.log(`marketplace simulator listening on ${simulator.url}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`marketplace simulator: stop failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(`marketplace simulator: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
