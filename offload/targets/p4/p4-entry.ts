// Typed P4 table entries (P4Runtime-like JSON): one table per STAGES row, applied in pipeline order; the
// context a TC chain encodes (network, source port, routed) is the metadata key `meta.ctx`, set by actions.
import type { VerdictNote } from '../tc/flower-rule.js'

export type P4Key = { exact: string | number } | { ternary: { value: string; mask: string } } | { lpm: string }

export type P4Op =
  | { op: 'pop_vlan' }
  /** hdr.vlan.setValid(), vid := N, pcp/dei 0 */
  | { op: 'push_vlan'; vid: number }
  /** an address of the IP header; the deparser updates the IPv4 and TCP/UDP checksums incrementally */
  | { op: 'set_ip'; field: 'src' | 'dst'; ip: string }
  | { op: 'tunnel_decap' }
  | { op: 'set_eth'; field: 'src' | 'dst'; mac: string }
  | { op: 'dec_ttl' }
  | { op: 'tunnel_encap'; vni: number; dst: string }
  /** clone to a port (the flood's copies) */
  | { op: 'clone'; port: number | 'tunnel' }
  | { op: 'set_ctx'; ctx: number }
  /** the connection-table extern: look up zone + 5-tuple, set meta.ct_state / meta.ct_mark (no commit) */
  | { op: 'ct_lookup'; zone: number }
  | { op: 'forward'; port: number | 'tunnel'; note: VerdictNote }
  | { op: 'drop'; note: VerdictNote }
  /** to the CPU port: the WASM pipeline decides */
  | { op: 'punt'; why: string }

export interface P4Entry {
  table: string
  /** higher wins (P4Runtime priority) */
  priority: number
  /** field name -> key; `meta.ctx` always present */
  match: Record<string, P4Key>
  /** the compound action, as its primitive steps */
  action: P4Op[]
}

export interface P4Program {
  tables: string[]
  entries: P4Entry[]
  contexts: Record<number, string>
}
