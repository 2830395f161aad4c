// Register, flag and cookie bit layout of the OpenFlow pipeline, declared once (CONVENTIONS.md 3). Shifts and
// masks appear nowhere else: emitters, the agent's stale-flow cleanup and packet-in decoding use these helpers.
//
// Registers (Nicira NXM_NX_REGn, 32 bits each; zero when a packet enters the pipeline):
//
//   reg0  network key      (= tunnel key / VNI of the network the packet is on; rewritten when routed)
//   reg1  source port key  (0 for packets that came in through a tunnel)
//   reg2  destination port key (set by ls_in_l2_lkup, read by ls_out_dispatch)
//         (lr_out_snat knows a routed packet's out port as (reg3 router, reg0 out network): a router has one port
//          per network)
//   reg3  router key       (set by lr_in_ip_route, read by lr_in_arp_resolve: which router port's MAC is the
//                           new source; no frame is modified before the next hop resolves, so a punt from
//                           either stage carries the frame as it came in)
//   reg4  next-hop IPv4 address (set by lr_in_ip_route, read by lr_in_arp_resolve)
//   xxreg2 (= reg8..reg11, 128 bits) next-hop IPv6 address (set by lr_in_ip_route, read by lr_in_arp_resolve)
//   reg6  flood chunk      (ls_in_l2_lkup: the network's flood flow resubmits to the same table once per chunk
//                           of its ports, reg6 = chunk id >= 1; 0 = not flooding. floodChunkOf() below)
//   reg5  flags:
//           31                                    2     1     0
//          +--------------------------------------+-----+-----+
//          |               reserved (0)           | RTD | TUN |
//          +--------------------------------------+-----+-----+
//          TUN = came in through a tunnel (skip port security and DHCP, BEHAVIOUR.md §2; no flood back to tunnels)
//          RTD = routed by lr_in_ip_route (lr_in_arp_resolve applies only to routed packets)
//          bit 2 UPL = came in through an uplink; bit 3 DTG = entered the router through a floating IP's MAC
//          bit 4 FIP = lr_in_dnat saw a source with a floating IP entering a router whose port-translated traffic
//                      is redirected to another chassis (lr_in_ip_route sends only sources without it there)
//   reg7  conntrack looked up: CT_LOOKED_IN (1) when ls_in_ct sent the packet through ct for its source port,
//         CT_LOOKED_OUT (2) when ls_out_ct did for its destination port (set whole, just before the ct action).
//         A packet's ct_state outlives the stage that filled it (a stateful source, then a stateless or
//         unenforced destination), so every acl flow that reads ct_state also matches reg7 = its own stage's
//         value: ct_state is only believed where this stage looked the packet up. (ct_clear in ls_out_ct would
//         do the same, at the price of one more action on every packet of every node, ACL or not.)
//
// Conntrack (ls_in_ct / ls_out_ct, BEHAVIOUR.md "Security groups"; lr_out_snat / lr_in_dnat port translation on
// the gateway chassis, in the gateway network's zone, with no ct_mark: nat-flows.ts):
//   zone    = reg0[0..15] (the network key's low 16 bits: one zone per network)
//   ct_mark:
//           31                                    2     1     0
//          +--------------------------------------+-----+-----+
//          |               reserved (0)           | CMT | BLK |
//          +--------------------------------------+-----+-----+
//          CMT = an acl stage committed this connection. Every commit sets it, so a packet whose lookup found a
//                connection carries it and one that found none does not: UDP, ICMP and other protocols stay
//                +new in their original direction until a reply is seen (and the second lookup of a packet in
//                the zone it was just committed to stays +new, OVS's process_one_fast), so ct_state alone cannot
//                tell "new" from "open, no reply yet"; BEHAVIOUR.md blocks an open connection its rules refuse
//          BLK = the rules stopped allowing this connection (its replies and related errors drop ct_blocked)
//          Committed as the whole mark (CT_MARK_ALLOWED or CT_MARK_REFUSED), so no masked set_field is needed
//          inside ct(exec())
//
// Conjunction id (ls_in_acl / ls_out_acl: one conjunctive match per security group rule, ovs-fields(7) conj_id):
//
//    31   30                                                                  0
//   +----+--------------------------------------------------------------------+
//   | 0  |                     rule key (1 .. 2^31-1)                          |   the rule's key is its own in
//   +----+-----------------------------+--------------------------------------+   this stage (the normal case)
//   | 1  |    group key & 0x7fff       |          rule key & 0xffff            |   several groups' rules carry
//   +----+-----------------------------+--------------------------------------+   this key in this stage
//   The store allocates rule keys from one space for all groups (from 1), so a key names one rule cloud-wide,
//   no id is 0 (conj_id 0 is what every packet carries outside a conjunctive lookup), and a restarted agent
//   finds its flows unchanged. But the datapath keys a rule by (group, rule) (entry-kinds.ts ACL_RULE), and
//   entry sets written by hand (the conformance topologies) number rules per group: two rules with one id in
//   one table would merge their clauses (a port of one group completing the other group's rule), so a key
//   that several groups' rules carry in one acl stage gets the S=1 form instead, for all of them. That form is
//   unique while group keys stay below 2^15 and rule keys below 2^16 (hand-written sets); the store's keys
//   never take it. Each direction has its own table, so ingress and egress rules need no bit of their own.
//
// Cookie (64 bits, OpenFlow 1.3.5 §7.3.4.1; also reported in every OFPT_PACKET_IN, so a punt names its cause):
//
//    63            48 47        40  39  38  37                                         0
//   +----------------+------------+----+----+--------------------------------------------+
//   |   generation   |   stage    | R  | X  |                 object key                 |
//   +----------------+------------+----+----+--------------------------------------------+
//   generation: PROACTIVE_GENERATION on every flow the agent computes from the model, whatever the run: a restart
//               finds its flows equal (table, priority, match, cookie, instructions) and rewrites none of them.
//               Stale flows are found by diffing a dump of the switch against the desired flows, never by
//               flushing; a process that died mid-bundle left nothing behind (the switch discards an uncommitted
//               bundle with its connection, ONF EXT-230), so the dump holds only committed state.
//               Reactive flows (X=1) carry the run generation of the agent that cached them (chassis.ts,
//               >= 2): a new run deletes the older runs' cache, which may predate routing changes it missed
//   stage:      the stage id from datapath/spec/stages.ts (not a table number)
//   R=0 X=0:    object key = the model key the entry came from (port, network or router key)
//   R=1 X=0:    object key = a reason code from datapath/spec/verdicts.ts (drop and punt flows)
//   R=0 X=1:    a reactive flow the slow path installed (idle timeout); object key = the router key. FlowSync
//               leaves these alone; any change to routes, router ports or next hops deletes them all with one
//               OFPFC_DELETE under reactiveSelector()
//   R=1 X=1:    the reactive-miss punt (reactive L3: no cached flow yet); object key = the router key
import { REASON_COUNT } from '../../datapath/spec/verdicts.js'
import { Bits } from './values.js'

export const REG_NETWORK = 'reg0'
export const REG_SRC_PORT = 'reg1'
export const REG_DST_PORT = 'reg2'
export const REG_ROUTER = 'reg3'
export const REG_NEXTHOP = 'reg4'
export const REG_FLAGS = 'reg5'
export const REG_NEXTHOP6 = 'xxreg2'
export const REG_FLOOD_CHUNK = 'reg6'
export const REG_CT = 'reg7'

/** reg7 values: which ct stage looked the packet up (see the diagram). */
export const CT_LOOKED_IN = 1
export const CT_LOOKED_OUT = 2
/** The conntrack zone: the network key's low 16 bits (BEHAVIOUR.md: zone = network key & 0xffff). */
export const CT_ZONE = { field: REG_NETWORK, ofs: 0, nBits: 16 } as const
/** ct_mark bits (see the diagram): the connection is blocked; an acl stage committed it. */
export const CT_MARK_BLOCKED = 1
export const CT_MARK_COMMITTED = 2
/** The whole ct_mark an acl stage commits: an allowed connection, a refused (blocked) one. */
export const CT_MARK_ALLOWED = CT_MARK_COMMITTED
export const CT_MARK_REFUSED = CT_MARK_COMMITTED | CT_MARK_BLOCKED
export const ctMarkBlocked = (): Bits => new Bits(CT_MARK_BLOCKED, CT_MARK_BLOCKED)
export const ctMarkClear = (): Bits => new Bits(0, CT_MARK_BLOCKED)
export const ctMarkCommitted = (): Bits => new Bits(CT_MARK_COMMITTED, CT_MARK_COMMITTED)

const CONJ_SHARED = 0x80000000
const CONJ_KEY_MAX = 0x7fffffff

/** The conjunction id of a security group rule whose key no other group's rule carries in its stage (diagram above). */
export function conjIdOf(rule: number): number {
  if (!Number.isInteger(rule) || rule < 1 || rule > CONJ_KEY_MAX) {
    throw new Error(`security group rule key ${rule} outside 1..${CONJ_KEY_MAX} (layout.ts conjunction id)`)
  }
  return rule
}

/** The conjunction id of rule (group, rule) when other groups' rules carry the same key in its stage (S=1). */
export function sharedConjIdOf(group: number, rule: number): number {
  conjIdOf(rule)
  if (!Number.isInteger(group) || group < 0 || group > 0xffffffff) throw new Error(`security group key ${group} outside 32 bits`)
  return (CONJ_SHARED | ((group & 0x7fff) << 16) | (rule & 0xffff)) >>> 0
}

/**
 * Ports per flood chunk. A flood is one flow per network that resubmits to one flow per chunk of its ports
 * (chunk = port key / FLOOD_CHUNK_PORTS + 1): a port change re-emits its chunk's flow (at most this many
 * outputs) and the network's head (one resubmit per non-empty chunk), never a flow with every port in it, and
 * no flow comes near OpenFlow's 64 KiB message limit (16 bytes an output). The tree is one level deep, so OVS's
 * resubmit depth limit is never reached.
 */
export const FLOOD_CHUNK_PORTS = 64
export const floodChunkOf = (portKey: number): number => Math.floor(portKey / FLOOD_CHUNK_PORTS) + 1

export const FLAG_FROM_TUNNEL = 1 << 0
export const FLAG_ROUTED = 1 << 1
export const FLAG_FROM_UPLINK = 1 << 2
export const FLAG_DNAT_TO_GATEWAY = 1 << 3
export const FLAG_SNAT_EXEMPT = 1 << 4

/** Flag register matches: the named flag set, or clear. */
export const flagSet = (flag: number): Bits => new Bits(flag, flag)
export const flagClear = (flag: number): Bits => new Bits(0, flag)

/** The generation of every proactive flow (see the cookie diagram); runs number their reactive flows from 2. */
export const PROACTIVE_GENERATION = 1

const GENERATION_SHIFT = 48n
const GENERATION_BITS = 16n
const STAGE_SHIFT = 40n
const STAGE_BITS = 8n
const REASON_FLAG = 1n << 39n
const REACTIVE_FLAG = 1n << 38n
const KEY_BITS = 38n

const ones = (bits: bigint): bigint => (1n << bits) - 1n

/** key: a model object; reason: a drop/punt; reactive: a slow-path-installed flow; reactiveMiss: its punt */
export type CookieSubject = { key: number } | { reason: number } | { reactive: number } | { reactiveMiss: number }

export interface CookieFields {
  generation: number
  stage: number
  subject: CookieSubject
}

export function makeCookie(c: CookieFields): bigint {
  const gen = BigInt(c.generation)
  const stage = BigInt(c.stage)
  if (gen < 0n || gen > ones(GENERATION_BITS)) throw new Error(`cookie generation out of range: ${c.generation}`)
  if (stage < 0n || stage > ones(STAGE_BITS)) throw new Error(`cookie stage out of range: ${c.stage}`)
  let low: bigint
  if ('reason' in c.subject) {
    if (c.subject.reason < 0 || c.subject.reason >= REASON_COUNT) throw new Error(`unknown reason code ${c.subject.reason}`)
    low = REASON_FLAG | BigInt(c.subject.reason)
  } else {
    const [flags, n] =
      'reactive' in c.subject
        ? [REACTIVE_FLAG, c.subject.reactive]
        : 'reactiveMiss' in c.subject
          ? [REACTIVE_FLAG | REASON_FLAG, c.subject.reactiveMiss]
          : [0n, c.subject.key]
    const key = BigInt(n)
    if (key < 0n || key > ones(KEY_BITS)) throw new Error(`cookie object key out of range: ${n}`)
    low = flags | key
  }
  return (gen << GENERATION_SHIFT) | (stage << STAGE_SHIFT) | low
}

export function parseCookie(cookie: bigint): CookieFields {
  const low = cookie & ones(KEY_BITS)
  return {
    generation: Number((cookie >> GENERATION_SHIFT) & ones(GENERATION_BITS)),
    stage: Number((cookie >> STAGE_SHIFT) & ones(STAGE_BITS)),
    subject: subjectOf(cookie & REASON_FLAG, cookie & REACTIVE_FLAG, Number(low)),
  }
}

function subjectOf(reason: bigint, reactive: bigint, n: number): CookieSubject {
  if (reactive !== 0n) return reason !== 0n ? { reactiveMiss: n } : { reactive: n }
  return reason !== 0n ? { reason: n } : { key: n }
}

/** True for a flow the slow path installed (R=0 X=1), whatever its generation and stage. */
export function isReactiveCookie(cookie: bigint): boolean {
  return (cookie & (REASON_FLAG | REACTIVE_FLAG)) === REACTIVE_FLAG
}

/**
 * Cookie and mask selecting every reactive flow of a stage (or of every stage), of any generation and router (one
 * OFPFC_DELETE or one flow-stats request, OpenFlow 1.3.5 §7.3.4.1). The reactive-miss punts (R=1) are not selected.
 */
export function reactiveSelector(stage?: number): { cookie: bigint; mask: bigint } {
  if (stage === undefined) return { cookie: REACTIVE_FLAG, mask: REASON_FLAG | REACTIVE_FLAG }
  return {
    cookie: (BigInt(stage) << STAGE_SHIFT) | REACTIVE_FLAG,
    mask: (ones(STAGE_BITS) << STAGE_SHIFT) | REASON_FLAG | REACTIVE_FLAG,
  }
}

/** The cookie mask selecting one generation (for OFPFC_DELETE of stale flows by cookie, OpenFlow 1.3.5 §7.3.4.1). */
export function generationMask(): bigint {
  return ones(GENERATION_BITS) << GENERATION_SHIFT
}
