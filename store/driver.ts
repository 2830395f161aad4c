// What a store or pub/sub driver registers: a name, one line of description, a config schema and an opener.
// The schema is TypeBox (schema/validate.ts): it validates the config and gives open() its static type, so
// the keys a driver documents, checks and reads are one declaration.
import type { Static, TObject } from 'typebox'

export interface Driver<T, S extends TObject = TObject> {
  name: string
  description: string
  /** The config keys besides `driver`: a strict object schema, every key with a description. */
  schema: S
  /** Called with a config that already passed `schema`. */
  open(config: Static<S>): Promise<T>
}
