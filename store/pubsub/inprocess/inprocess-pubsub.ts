// In-process pub/sub: publishers and subscribers in one process share a named bus (an EventEmitter), for the
// all-in-one `serve` mode and for tests. Delivery is asynchronous (a microtask) so a publisher never runs
// subscriber code inside its own call stack, and in publish order.
import { EventEmitter } from 'node:events'
import type { Change, PubSub, Unsubscribe } from '../../types.js'
import { StoreError } from '../../types.js'
import { WarningLog } from '../../warning-log.js'
import { matchesTopic } from '../topic-filter.js'
import { getLogger } from '../../../log/logger.js'

const buses = new Map<string, { emitter: EventEmitter; users: number }>()

export function openInProcessPubSub(opts: { bus?: string; onWarning?: (err: StoreError) => void } = {}): InProcessPubSub {
  const name = opts.bus ?? 'default'
  let bus = buses.get(name)
  if (!bus) {
    bus = { emitter: new EventEmitter(), users: 0 }
    bus.emitter.setMaxListeners(0) // one listener per subscription; many is normal
    buses.set(name, bus)
  }
  bus.users++
  return new InProcessPubSub(name, {
    emitter: bus.emitter,
    warnings: new WarningLog(`dragonflow pubsub ${name}`, opts.onWarning, getLogger('pubsub')),
  })
}

export class InProcessPubSub implements PubSub {
  private readonly mine = new Set<(change: Change) => void>()
  private closed = false

  private readonly emitter: EventEmitter
  readonly warnings: WarningLog

  constructor(
    private readonly name: string,
    parts: { emitter: EventEmitter; warnings: WarningLog },
  ) {
    this.emitter = parts.emitter
    this.warnings = parts.warnings
  }

  async publish(change: Change): Promise<void> {
    if (this.closed) throw new StoreError('unavailable', 'pub/sub is closed')
    const copy = structuredClone(change) // subscribers must not share the publisher's object
    queueMicrotask(() => this.emitter.emit('change', copy))
  }

  async subscribe(topic: string, handler: (change: Change) => void): Promise<Unsubscribe> {
    if (this.closed) throw new StoreError('unavailable', 'pub/sub is closed')
    const listener = (change: Change): void => {
      if (!matchesTopic(change, topic)) return
      try {
        handler(change)
      } catch (err) {
        this.warnings.report(new StoreError('invalid', `a handler of '${topic}' threw: ${String(err)}`, { cause: err }))
      }
    }
    this.emitter.on('change', listener)
    this.mine.add(listener)
    return async () => {
      this.emitter.off('change', listener)
      this.mine.delete(listener)
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const l of this.mine) this.emitter.off('change', l)
    this.mine.clear()
    const bus = buses.get(this.name)
    if (bus && --bus.users === 0) buses.delete(this.name)
  }
}
