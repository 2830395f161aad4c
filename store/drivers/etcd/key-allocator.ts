// Unique small keys from a counter key in etcd, by compare-and-swap on its mod revision.
//
// Callers of one client that ask at the same time are served by one CAS that reserves a block of keys (one per
// waiting caller), so N concurrent callers in one process cost one round trip, and contention is only between
// processes. A key is handed out only after the CAS that reserved it committed, so no two clients ever get the
// same key, and a key reserved by a client that then dies is simply skipped (never reused).
import type { Namespace } from 'etcd3'
import { checkKeySpace } from '../../tx-plan.js'
import { guard } from './errors.js'
import { keySpacePath } from './keys.js'

interface Waiter {
  resolve: (key: number) => void
  reject: (err: unknown) => void
}

export class KeyAllocator {
  private readonly waiting = new Map<string, Waiter[]>()
  private readonly running = new Set<string>()
  /** Last seen (value, mod revision) per space: the first CAS guesses from it instead of reading first. */
  private readonly seen = new Map<string, { value: number; modRevision: string }>()

  constructor(private readonly ns: Namespace) {}

  allocate(space: string): Promise<number> {
    return new Promise((resolve, reject) => {
      checkKeySpace(space)
      const list = this.waiting.get(space) ?? []
      list.push({ resolve, reject })
      this.waiting.set(space, list)
      if (!this.running.has(space)) void this.run(space)
    })
  }

  private async run(space: string): Promise<void> {
    this.running.add(space)
    try {
      for (;;) {
        const batch = this.waiting.get(space) ?? []
        this.waiting.delete(space)
        if (batch.length === 0) return
        try {
          const first = await this.reserve(space, batch.length)
          batch.forEach((w, i) => w.resolve(first + i))
        } catch (err) {
          for (const w of batch) w.reject(err)
        }
      }
    } finally {
      this.running.delete(space)
    }
  }

  /** Reserves `count` keys and returns the first; retries the CAS until it wins. */
  private async reserve(space: string, count: number): Promise<number> {
    const path = keySpacePath(space)
    for (let attempt = 0; ; attempt++) {
      const known = this.seen.get(space)
      const txn = known ? this.ns.if(path, 'Mod', '==', known.modRevision) : this.ns.if(path, 'Version', '==', 0)
      const base = known?.value ?? 0
      const res = await guard('allocate key', () =>
        txn
          .then(this.ns.put(path).value(String(base + count)))
          .else(this.ns.get(path))
          .commit(),
      )
      if (res.succeeded) {
        this.seen.set(space, { value: base + count, modRevision: res.header.revision })
        return base + 1
      }
      const kv = res.responses[0]?.response_range?.kvs[0]
      if (kv) this.seen.set(space, { value: Number(kv.value.toString('utf8')), modRevision: kv.mod_revision })
      else this.seen.delete(space)
      // Lost to another client: back off a little, with jitter, so a few clients do not keep colliding.
      if (attempt > 2) await new Promise(r => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)))
    }
  }
}
