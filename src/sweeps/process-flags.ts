/**
 * V8 heap budget for a sweep process. Left to its defaults, V8 sizes the heap to the machine and lets
 * garbage from a large fan-out pile up (RSS ~300 MiB at 100,000 rows though the live heap stays under
 * 70 MiB); with this budget RSS stays near 130 MiB whatever the row count, for ~15% less throughput
 * (figures: `npm run bench:sweep`). docker-compose.yml starts the sweep role with the same flags.
 */
export const SWEEP_PROCESS_NODE_FLAGS = ['--max-semi-space-size=4', '--max-old-space-size=160'];
