// A flow as target-neutral data: what the OpenFlow 1.3 binary codec (agent/openflow/), the ovs-ofctl text
// rendering (text.ts) and executable models all consume. Values are bigints of the field's width; names keep
// the spec's (OFPAT_*, OFPIT_*, NXAST_*) so an encoder maps them one to one.
import type { OfFieldName } from './fields.js'

export interface MatchEntry {
  field: OfFieldName
  value: bigint
  /** absent = exact */
  mask?: bigint
}

/** A bit range of a field, for NXAST_REG_MOVE (Nicira extension; OpenFlow 1.3 has no copy-field). */
export interface FieldSlice {
  field: OfFieldName
  /** first bit (least significant = 0) and number of bits; absent = the whole field */
  ofs?: number
  nBits?: number
}

/** OpenFlow 1.3.5 §7.2.1 reserved ports */
export const OFPP_IN_PORT = 0xfffffff8
export const OFPP_CONTROLLER = 0xfffffffd
/** §7.2.5: max_len OFPCML_NO_BUFFER: send the whole packet, never buffer it */
export const OFPCML_NO_BUFFER = 0xffff

export type Action =
  | { type: 'OFPAT_OUTPUT'; port: number; maxLen?: number }
  | { type: 'OFPAT_SET_FIELD'; field: OfFieldName; value: bigint }
  | { type: 'OFPAT_DEC_NW_TTL' }
  | { type: 'OFPAT_POP_VLAN' }
  /** push an 802.1Q header (TPID ethertype, PCP 0, DEI 0, VID 0: set vlan_vid after it) */
  | { type: 'OFPAT_PUSH_VLAN'; ethertype: number }
  | { type: 'NXAST_REG_MOVE'; src: FieldSlice; dst: FieldSlice }
  /** Nicira resubmit(,table): look the packet up in `table` now, then go on with this flow's actions */
  | { type: 'NXAST_RESUBMIT_TABLE'; table: number }
  /**
   * Nicira ct (ovs-actions(7) "ct"): look the packet up in the connection table of the zone read from `zone`
   * (16 bits), commit it when `commit`, running `exec` (set_field of ct_mark only) on the connection. With
   * `table` the packet is recirculated into that table with its ct_* fields filled in; without, this flow's
   * actions go on and the packet's own ct_* fields stay what they were.
   */
  | { type: 'NXAST_CT'; commit: boolean; zone: FieldSlice; table?: number; exec: Action[]; nat?: CtNat }
  /** Nicira conjunction(id, clause/nClauses), clause 1-based as ovs-ofctl writes it (ovs-fields(7) conj_id) */
  | { type: 'NXAST_CONJUNCTION'; id: number; clause: number; nClauses: number }

/**
 * The nat of a ct action (ovs-actions(7) "ct", nested NXAST_NAT): `{}` is plain `nat` (a packet of a
 * connection that was committed with nat gets that connection's translation, or its reverse for a reply);
 * `srcIpv4` is nat(src=<address>) for a commit: the source becomes that address, and OVS keeps the source port
 * unless another connection of the zone already holds the translated tuple (lib/conntrack.c nat_get_unique_tuple).
 */
export interface CtNat {
  srcIpv4?: bigint
}

export interface Flow {
  table: number
  priority: number
  cookie: bigint
  /** matched fields, in the order the builder added them (prerequisites first) */
  match: MatchEntry[]
  /** OFPIT_APPLY_ACTIONS */
  actions: Action[]
  /** OFPIT_GOTO_TABLE; absent = the pipeline ends here (no actions and no goto = drop) */
  gotoTable?: number
  /** seconds without a hit after which the switch removes the flow (reactive flows only); absent = never */
  idleTimeout?: number
}
