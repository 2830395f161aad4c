// Registration of the in-process pub/sub driver.
import Type from 'typebox'
import type { Driver } from '../../driver.js'
import type { PubSub } from '../../types.js'
import { openInProcessPubSub } from './inprocess-pubsub.js'

export const InProcessConfigSchema = Type.Object(
  {
    bus: Type.Optional(
      Type.String({ minLength: 1, description: "name of the shared bus (default 'default'); instances on one name hear each other" }),
    ),
  },
  { additionalProperties: false },
)

export const inProcessPubSubDriver: Driver<PubSub, typeof InProcessConfigSchema> = {
  name: 'inprocess',
  description: 'in-process pub/sub (EventEmitter): publishers and subscribers in one process, e.g. `dragonflow serve`',
  schema: InProcessConfigSchema,
  open: async config => openInProcessPubSub(config.bus !== undefined ? { bus: config.bus } : {}),
}
