// Wait on a condition with a deadline: tests never sleep blindly.
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeout = 10_000, interval = 25, what = 'condition', failFast = false }: {
    timeout?: number; interval?: number; what?: string | (() => string);
    /** An error thrown by check ends the wait at once (e.g. the child it waits on has exited). */
    failFast?: boolean;
  } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      if (failFast) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      // what() is read at the deadline: a child's output then, not when the wait began.
      throw new Error(`timed out after ${timeout} ms waiting for ${typeof what === 'function' ? what() : what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
