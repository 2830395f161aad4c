// Pub/sub that is a store's own change feed, filtered by topic: every committed write is already "published", so
// publish() has nothing to send. Used by the etcd-watch driver; it works on any Store (e.g. embedded).
import type { Change, PubSub, Store, Unsubscribe } from '../types.js'
import { matchesTopic } from './topic-filter.js'

export class StoreWatchPubSub implements PubSub {
  private readonly subs = new Set<Unsubscribe>()

  /** `ownsStore`: close() also closes the store (the driver opened it for this pub/sub alone). */
  constructor(
    private readonly store: Store,
    private readonly ownsStore: boolean,
  ) {}

  /** A no-op: the store's commit was the publication. Kept so callers can treat every driver alike. */
  async publish(_change: Change): Promise<void> {}

  async subscribe(topic: string, handler: (change: Change) => void): Promise<Unsubscribe> {
    const stop = await this.store.watch(change => {
      if (matchesTopic(change, topic)) handler(change)
    })
    const unsubscribe: Unsubscribe = async () => {
      if (this.subs.delete(unsubscribe)) await stop()
    }
    this.subs.add(unsubscribe)
    return unsubscribe
  }

  async close(): Promise<void> {
    await Promise.all([...this.subs].map(u => u()))
    if (this.ownsStore) await this.store.close()
  }
}
