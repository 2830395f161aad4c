// What a store or pub/sub driver registers: a name, one line of description, a config schema and an opener.
import type { ConfigSchema } from './config-schema.js'

export interface Driver<T> {
  name: string
  description: string
  schema: ConfigSchema
  /** Called with a config that already passed `schema`. */
  open(config: Record<string, unknown>): Promise<T>
}
