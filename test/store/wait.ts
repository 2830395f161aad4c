// Polling helpers for store tests: wait for an asynchronous condition (watch deliveries, reconnects).

/** Resolves when `cond()` is true; rejects with `what` after `ms`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, opts: { ms?: number } = {}): Promise<void> {
  const ms = opts.ms ?? 10_000
  const deadline = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(20)
  }
}

/** Retries `fn` until it stops throwing (a client reconnecting after a server restart); returns its result. */
export async function eventually<T>(what: string, fn: () => Promise<T>, opts: { ms?: number } = {}): Promise<T> {
  const ms = opts.ms ?? 30_000
  const deadline = Date.now() + ms
  for (;;) {
    try {
      return await fn()
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what} still failing after ${ms} ms: ${String(err)}`, { cause: err })
      await sleep(100)
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}
