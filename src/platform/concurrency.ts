export type Limiter = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * At most `limit` pieces of work at once, started in the order they were handed in. One limiter can
 * be shared by several callers, so their work together stays within the bound.
 */
export function createLimiter(limit: number): Limiter {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    running -= 1;
    waiting.shift()?.();
  };
  return async (work) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await work();
    } finally {
      release();
    }
  };
}
