// A canonical text for an entry, so entry sets can be compared and reference-counted: object keys sorted,
// array order kept (builders emit arrays in a deterministic order).
import type { Entry } from '../../datapath/host/entries.js'

/** JSON with object keys sorted: equal values give equal text. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>
    const keys = Object.keys(obj)
      .filter(k => obj[k] !== undefined)
      .sort()
    return `{${keys.map(k => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

export function entryKey(entry: Entry): string {
  return canonical(entry)
}
