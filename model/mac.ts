// MAC addresses: OpenStack's base prefix fa:16:3e (Neutron's default base_mac), the rest random.
import { randomBytes } from 'node:crypto'

export const MAC_PREFIX = 'fa:16:3e'

export function randomMac(prefix = MAC_PREFIX): string {
  const b = randomBytes(3)
  return `${prefix}:${[...b].map(x => x.toString(16).padStart(2, '0')).join(':')}`
}
