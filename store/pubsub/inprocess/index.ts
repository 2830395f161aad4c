// Registration of the in-process pub/sub driver.
import type { Driver } from '../../driver.js'
import type { PubSub } from '../../types.js'
import { openInProcessPubSub } from './inprocess-pubsub.js'

export const inProcessPubSubDriver: Driver<PubSub> = {
  name: 'inprocess',
  description: 'in-process pub/sub (EventEmitter): publishers and subscribers in one process, e.g. `dragonflow serve`',
  schema: {
    bus: { type: 'string', description: "name of the shared bus (default 'default'); instances on one name hear each other" },
  },
  open: async config => openInProcessPubSub(config.bus !== undefined ? { bus: config.bus as string } : {}),
}
