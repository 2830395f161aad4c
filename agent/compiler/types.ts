// The topology compiler's contract: model objects (as the northbound writes them to the store) plus what this
// node knows locally (which logical ports are plugged here, on which ofport) in; pipeline entries out.
// The controller (agent/controller/) feeds it changes and installs the entry deltas; it never looks inside.
import type { Entry } from '../../datapath/host/entries.js'
import type { Change } from '../../store/types.js'
import type { CompileProblem } from './problems.js'

/**
 * What changed in this node's pipeline entries after one input. Apply `removed` before `added`: an entry that
 * changes (an egress moving to another chassis) is a remove and an add with the same datapath key, and a
 * remove reads only the key fields.
 */
export interface EntryDelta {
  added: Entry[]
  removed: Entry[]
}

export interface LocalBinding {
  /** Neutron port id (OVSDB Interface external_ids:iface-id) */
  portId: string
  ofport: number
}

export interface TopologyCompilerApi {
  /** A store change (from watch or pub/sub). Older or equal versions than the one held are ignored. */
  applyChange(change: Change): EntryDelta
  /** A port was plugged on this node (ofport known) or unplugged (ofport undefined). */
  bindLocal(portId: string, ofport: number | undefined): EntryDelta
  /**
   * This node's uplink for a physical network (--bridge-mappings: the br-int ofport of its patch port), or none
   * (ofport undefined): the flat/VLAN provider networks on it get or lose their `uplink` entry.
   */
  bindUplink?(physnet: string, ofport: number | undefined): EntryDelta
  /** Every entry the node needs now (the desired state). */
  entries(): Entry[]
  /**
   * Object ids (table/id) this node follows: the closure of what its local ports can reach across routers, plus
   * the security groups its local ports hold or its compiled rules name as remote, and the rules of the former.
   */
  followed(): Set<string>
  /** What could not be compiled now and why (parked references, unknown DHCP options, unreachable routes). */
  problems?(): CompileProblem[]
}
