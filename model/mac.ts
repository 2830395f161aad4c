// MAC addresses: OpenStack's base prefix fa:16:3e (Neutron's default base_mac), the rest random.
import { randomBytes } from 'node:crypto'

export const MAC_PREFIX = 'fa:16:3e'

export function randomMac(prefix = MAC_PREFIX): string {
  const b = randomBytes(3)
  return `${prefix}:${[...b].map(x => x.toString(16).padStart(2, '0')).join(':')}`
}

/** Lowercase colon form, or undefined. Accepts '-' separators; refuses multicast and all-zero addresses. */
export function normalizeMac(v: unknown): string | undefined {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(v)) return undefined
  const m = v.toLowerCase().replace(/-/g, ':')
  const first = parseInt(m.slice(0, 2), 16)
  if ((first & 1) === 1 || m === '00:00:00:00:00:00') return undefined
  return m
}
