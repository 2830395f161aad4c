// Register, flag and cookie bit layout of the OpenFlow pipeline, declared once (CONVENTIONS.md 3). Shifts and
// masks appear nowhere else: emitters, the agent's stale-flow cleanup and packet-in decoding use these helpers.
//
// Registers (Nicira NXM_NX_REGn, 32 bits each; zero when a packet enters the pipeline):
//
//   reg0  network key      (= tunnel key / VNI of the network the packet is on; rewritten when routed)
//   reg1  source port key  (0 for packets that came in through a tunnel)
//   reg2  destination port key (set by ls_in_l2_lkup, read by ls_out_dispatch)
//   reg3  router key       (reserved: the route flows are specialised per router port, see emitter)
//   reg4  next-hop IPv4 address (set by lr_in_ip_route, read by lr_in_arp_resolve)
//   xxreg2 (= reg8..reg11, 128 bits) next-hop IPv6 address (set by lr_in_ip_route, read by lr_in_arp_resolve)
//   reg5  flags:
//           31                                    2     1     0
//          +--------------------------------------+-----+-----+
//          |               reserved (0)           | RTD | TUN |
//          +--------------------------------------+-----+-----+
//          TUN = came in through a tunnel (skip port security and DHCP, BEHAVIOUR.md §2; no flood back to tunnels)
//          RTD = routed by lr_in_ip_route (lr_in_arp_resolve applies only to routed packets)
//
// Cookie (64 bits, OpenFlow 1.3.5 §7.3.4.1; also reported in every OFPT_PACKET_IN, so a punt names its cause):
//
//    63            48 47        40  39  38                                            0
//   +----------------+------------+----+-----------------------------------------------+
//   |   generation   |   stage    | R  |                  object key                   |
//   +----------------+------------+----+-----------------------------------------------+
//   generation: bumped on every agent restart/resync; stale flows are deleted by generation, never flushed
//   stage:      the stage id from datapath/spec/stages.ts (not a table number)
//   R = 0:      object key = the model key the entry came from (port, network or router key)
//   R = 1:      object key = a reason code from datapath/spec/verdicts.ts (drop and punt flows)
import { REASON_COUNT } from '../../datapath/spec/verdicts.js'
import { Bits } from './values.js'

export const REG_NETWORK = 'reg0'
export const REG_SRC_PORT = 'reg1'
export const REG_DST_PORT = 'reg2'
export const REG_ROUTER = 'reg3'
export const REG_NEXTHOP = 'reg4'
export const REG_FLAGS = 'reg5'
export const REG_NEXTHOP6 = 'xxreg2'

export const FLAG_FROM_TUNNEL = 1 << 0
export const FLAG_ROUTED = 1 << 1

/** Flag register matches: the named flag set, or clear. */
export const flagSet = (flag: number): Bits => new Bits(flag, flag)
export const flagClear = (flag: number): Bits => new Bits(0, flag)

const GENERATION_SHIFT = 48n
const GENERATION_BITS = 16n
const STAGE_SHIFT = 40n
const STAGE_BITS = 8n
const REASON_FLAG = 1n << 39n
const KEY_BITS = 39n

const ones = (bits: bigint): bigint => (1n << bits) - 1n

export type CookieSubject = { key: number } | { reason: number }

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
    const key = BigInt(c.subject.key)
    if (key < 0n || key > ones(KEY_BITS)) throw new Error(`cookie object key out of range: ${c.subject.key}`)
    low = key
  }
  return (gen << GENERATION_SHIFT) | (stage << STAGE_SHIFT) | low
}

export function parseCookie(cookie: bigint): CookieFields {
  const low = cookie & ones(KEY_BITS)
  return {
    generation: Number((cookie >> GENERATION_SHIFT) & ones(GENERATION_BITS)),
    stage: Number((cookie >> STAGE_SHIFT) & ones(STAGE_BITS)),
    subject: (cookie & REASON_FLAG) !== 0n ? { reason: Number(low) } : { key: Number(low) },
  }
}

/** The cookie mask selecting one generation (for OFPFC_DELETE of stale flows by cookie, OpenFlow 1.3.5 §7.3.4.1). */
export function generationMask(): bigint {
  return ones(GENERATION_BITS) << GENERATION_SHIFT
}
