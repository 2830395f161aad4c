// A driver's config schema: flat, a handful of typed keys. Validation names the bad key, so a typo in a config file
// is reported as such instead of surfacing later as an undefined.
import { StoreError } from './types.js'

export type ConfigType = 'string' | 'string[]' | 'number' | 'boolean'

export interface ConfigKey {
  type: ConfigType
  required?: boolean
  /** One line for `dragonflow help` style listings. */
  description: string
}

export type ConfigSchema = Record<string, ConfigKey>

/** Throws StoreError('bad_config') naming the first unknown, missing or mistyped key. `what` is e.g. "store driver 'etcd'". */
export function validateConfig(config: Record<string, unknown>, rules: { what: string; schema: ConfigSchema }): void {
  const { what, schema } = rules
  for (const key of Object.keys(config)) {
    if (key === 'driver') continue
    if (!(key in schema)) {
      throw new StoreError('bad_config', `${what}: unknown config key '${key}' (known: ${Object.keys(schema).join(', ') || 'none'})`)
    }
  }
  for (const [key, spec] of Object.entries(schema)) {
    const value = config[key]
    if (value === undefined) {
      if (spec.required) throw new StoreError('bad_config', `${what}: config key '${key}' is required (${spec.description})`)
      continue
    }
    if (!hasType(value, spec.type)) {
      throw new StoreError('bad_config', `${what}: config key '${key}' must be ${describe(spec.type)}, got ${JSON.stringify(value)}`)
    }
  }
}

function hasType(value: unknown, type: ConfigType): boolean {
  switch (type) {
    case 'string': return typeof value === 'string' && value !== ''
    case 'string[]': return Array.isArray(value) && value.length > 0 && value.every(v => typeof v === 'string' && v !== '')
    case 'number': return typeof value === 'number' && Number.isFinite(value)
    case 'boolean': return typeof value === 'boolean'
  }
}

function describe(type: ConfigType): string {
  return { string: 'a non-empty string', 'string[]': 'a non-empty list of strings', number: 'a number', boolean: 'true or false' }[type]
}
