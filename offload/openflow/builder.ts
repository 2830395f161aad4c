// Typed flow builders (CONVENTIONS.md 2, after Antrea's pipeline framework): a flow belongs to one stage; it
// may match only the fields that stage declares (stage-fields.ts), with a mask only where the key is maskable,
// take values as typed addresses and keys (values.ts), get its priority from a named band (priorities.ts), its
// cookie from the layout (layout.ts), and go only to a stage listed as `next` in datapath/spec/stages.ts.
import { OF_TABLE_BASE, STAGES } from '../../datapath/spec/stages.js'
import {
  ETH_TYPE_ARP,
  ETH_TYPE_IPV4,
  ETH_TYPE_IPV6,
  type FieldValues,
  IP_PROTO_ICMP,
  IP_PROTO_ICMPV6,
  IP_PROTO_SCTP,
  IP_PROTO_TCP,
  IP_PROTO_UDP,
  OF_FIELDS,
  OFPVID_PRESENT,
  type OfFieldName,
} from './fields.js'
import { type Action, type FieldSlice, type Flow, type MatchEntry, OFPCML_NO_BUFFER, OFPP_CONTROLLER, OFPP_IN_PORT } from './flow.js'
import { CT_ZONE, type CookieSubject, makeCookie } from './layout.js'
import { type PriorityBand, priorityOf } from './priorities.js'
import { Cidr, Ipv4Address, Ipv6Address, MacAddress } from '../../datapath/host/addresses.js'
import { Bits, CtState, Key, MaskedMac, OfPort } from './values.js'
import { type FieldRule, fieldRules } from './stage-fields.js'

export class FlowError extends Error {
  constructor(stage: string, message: string) {
    super(`${stage}: ${message}`)
    this.name = 'FlowError'
  }
}

/** OpenFlow 1.3.5 §7.2.3.6: fields that are only valid when a prerequisite selects their header. */
const IP_ANY = [ETH_TYPE_IPV4, ETH_TYPE_IPV6]
const NEEDS: Partial<Record<OfFieldName, [OfFieldName, number[]][]>> = {
  nw_src: [['eth_type', [ETH_TYPE_IPV4]]],
  nw_dst: [['eth_type', [ETH_TYPE_IPV4]]],
  nw_ttl: [['eth_type', IP_ANY]], // the IPv6 hop limit too (ovs-fields(7))
  nw_frag: [['eth_type', IP_ANY]],
  ip_proto: [['eth_type', IP_ANY]],
  icmp_type: [
    ['eth_type', [ETH_TYPE_IPV4]],
    ['ip_proto', [IP_PROTO_ICMP]],
  ],
  icmpv6_type: [
    ['eth_type', [ETH_TYPE_IPV6]],
    ['ip_proto', [IP_PROTO_ICMPV6]],
  ],
  ipv6_src: [['eth_type', [ETH_TYPE_IPV6]]],
  nd_target: [
    ['eth_type', [ETH_TYPE_IPV6]],
    ['ip_proto', [IP_PROTO_ICMPV6]],
    ['icmpv6_type', [135, 136]],
  ],
  ipv6_dst: [['eth_type', [ETH_TYPE_IPV6]]],
  udp_src: [
    ['eth_type', IP_ANY],
    ['ip_proto', [IP_PROTO_UDP]],
  ],
  udp_dst: [
    ['eth_type', IP_ANY],
    ['ip_proto', [IP_PROTO_UDP]],
  ],
  tcp_dst: [
    ['eth_type', IP_ANY],
    ['ip_proto', [IP_PROTO_TCP]],
  ],
  sctp_dst: [
    ['eth_type', IP_ANY],
    ['ip_proto', [IP_PROTO_SCTP]],
  ],
  icmp_code: [
    ['eth_type', [ETH_TYPE_IPV4]],
    ['ip_proto', [IP_PROTO_ICMP]],
  ],
  icmpv6_code: [
    ['eth_type', [ETH_TYPE_IPV6]],
    ['ip_proto', [IP_PROTO_ICMPV6]],
  ],
  arp_op: [['eth_type', [ETH_TYPE_ARP]]],
  arp_spa: [['eth_type', [ETH_TYPE_ARP]]],
  arp_tpa: [['eth_type', [ETH_TYPE_ARP]]],
  arp_sha: [['eth_type', [ETH_TYPE_ARP]]],
  arp_tha: [['eth_type', [ETH_TYPE_ARP]]],
}

type AnyValue = FieldValues[OfFieldName]

function encode(field: OfFieldName, v: AnyValue): { value: bigint; mask?: bigint } {
  const bits = OF_FIELDS[field].bits
  const full = (1n << BigInt(bits)) - 1n
  let value: bigint
  let mask: bigint | undefined
  if (v instanceof MacAddress || v instanceof Ipv4Address || v instanceof Ipv6Address) value = v.value
  else if (v instanceof Cidr) {
    value = v.address.value
    if (v.length < v.bits) mask = v.mask
  } else if (v instanceof OfPort || v instanceof Key) value = BigInt(v.value)
  else if (v instanceof Bits) {
    value = BigInt(v.value >>> 0)
    mask = BigInt(v.mask >>> 0)
  } else if (v instanceof MaskedMac) {
    value = v.address.value
    mask = v.mask.value
  } else if (v instanceof CtState) {
    value = BigInt(v.value)
    mask = BigInt(v.mask)
  } else value = BigInt(v)
  if (value < 0n || value > full) throw new Error(`${field}: value ${value} does not fit ${bits} bits`)
  return mask === undefined ? { value } : { value, mask }
}

export class FlowBuilder {
  private readonly rules: Map<OfFieldName, FieldRule>
  private readonly stageName: string
  private readonly matches: MatchEntry[] = []
  private readonly actions: Action[] = []
  private prio: number | undefined
  private subject: CookieSubject | undefined
  private next: number | undefined
  private idle: number | undefined

  private constructor(
    private readonly stageId: number,
    private readonly generation: number,
  ) {
    const stage = STAGES[stageId]
    if (stage === undefined) throw new Error(`no stage ${stageId}`)
    this.stageName = stage.name
    this.rules = fieldRules(stageId)
  }

  /** A flow in the table of stage `stageId` (OF_TABLE_BASE + id). */
  static forStage(stageId: number, opts: { generation: number }): FlowBuilder {
    return new FlowBuilder(stageId, opts.generation)
  }

  match<F extends OfFieldName>(field: F, v: FieldValues[F]): this {
    const rule = this.rules.get(field)
    if (rule === undefined) throw new FlowError(this.stageName, `may not match ${field} (keys: ${[...this.rules.keys()].join(', ')})`)
    if (this.matches.some(m => m.field === field)) throw new FlowError(this.stageName, `${field} matched twice`)
    const { value, mask } = encode(field, v)
    if (mask !== undefined && !rule.maskable) throw new FlowError(this.stageName, `${field} is an exact key; a mask is not allowed`)
    if (mask === 0n) return this // a /0 prefix matches everything: no field at all
    this.matches.push(mask === undefined ? { field, value } : { field, value, mask })
    return this
  }

  priority(band: PriorityBand, offset = 0): this {
    this.prio = priorityOf(band, offset)
    return this
  }

  /** The model object (by key) or the reason code (drop/punt flows) the flow exists for. */
  cookie(subject: CookieSubject): this {
    this.subject = subject
    return this
  }

  apply(...actions: Action[]): this {
    this.actions.push(...actions)
    return this
  }

  /** Continue in the table of `stageId`, which must be listed in this stage's `next`. */
  goto(stageId: number): this {
    const allowed = this.allowedNext()
    if (!allowed.includes(stageId)) {
      throw new FlowError(
        this.stageName,
        `may not go to ${STAGES[stageId]?.name ?? `stage ${stageId}`} (next: ${allowed.map(n => STAGES[n]?.name).join(', ') || 'none'})`,
      )
    }
    this.next = stageId
    return this
  }

  /** OFPFF idle timeout in seconds (reactive flows): 1..65535 (OpenFlow 1.3.5 §7.3.4.1, a 16-bit field; 0 = none). */
  idleTimeout(seconds: number): this {
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 0xffff)
      throw new FlowError(this.stageName, `idle timeout ${seconds} s outside 1..65535`)
    this.idle = seconds
    return this
  }

  /** ct(table=) recirculates into a stage, which must be a next stage like a goto's; ct needs an IP match (OVS). */
  private checkConntrack(): void {
    for (const a of this.actions) {
      if (a.type !== 'NXAST_CT') continue
      if (a.table !== undefined && !this.allowedNext().includes(a.table - OF_TABLE_BASE)) {
        throw new FlowError(
          this.stageName,
          `ct may not recirculate to table ${a.table} (next: ${
            this.allowedNext()
              .map(n => STAGES[n]?.name)
              .join(', ') || 'none'
          })`,
        )
      }
      if (a.table !== undefined && this.next !== undefined)
        throw new FlowError(this.stageName, 'ct(table=) already moves the packet on: no goto as well')
      if (a.exec.length > 0 && !a.commit) throw new FlowError(this.stageName, 'ct(exec()) needs commit (ovs-actions(7))')
      if (a.exec.some(x => x.type !== 'OFPAT_SET_FIELD' || x.field !== 'ct_mark'))
        throw new FlowError(this.stageName, 'ct(exec()) sets ct_mark only')
      const et = this.matches.find(m => m.field === 'eth_type')?.value
      if (et !== BigInt(ETH_TYPE_IPV4) && et !== BigInt(ETH_TYPE_IPV6))
        throw new FlowError(this.stageName, 'ct needs eth_type IPv4 or IPv6 in the match (OVS refuses it otherwise)')
    }
  }

  /** ovs-fields(7) "Conjunctive Match": conjunction() actions stand alone, 2..64 clauses, one clause per id. */
  private checkConjunctions(): void {
    const conj = this.actions.filter(a => a.type === 'NXAST_CONJUNCTION')
    if (conj.length === 0) return
    if (conj.length !== this.actions.length || this.next !== undefined)
      throw new FlowError(this.stageName, 'a flow with conjunction() has no other action and no goto')
    const ids = new Set<number>()
    for (const a of conj) {
      if (a.nClauses < 2 || a.nClauses > 64 || a.clause < 1 || a.clause > a.nClauses)
        throw new FlowError(this.stageName, `conjunction(${a.id},${a.clause}/${a.nClauses}): clauses 2..64, clause 1..n`)
      if (a.id < 1 || a.id > 0xffffffff) throw new FlowError(this.stageName, `conjunction id ${a.id} outside 1..2^32-1`)
      if (ids.has(a.id)) throw new FlowError(this.stageName, `conjunction id ${a.id} twice in one flow`)
      ids.add(a.id)
    }
  }

  private allowedNext(): number[] {
    return (STAGES[this.stageId]?.next ?? '')
      .split(',')
      .filter(s => s !== '')
      .map(Number)
  }

  build(): Flow {
    if (this.prio === undefined) throw new FlowError(this.stageName, 'no priority band')
    if (this.actions.some(a => a.type === 'NXAST_RESUBMIT_TABLE' && a.table !== OF_TABLE_BASE + this.stageId)) {
      throw new FlowError(this.stageName, 'may resubmit only to its own table (a stage moves on with goto)')
    }
    if (this.subject === undefined) throw new FlowError(this.stageName, 'no cookie subject')
    this.checkConntrack()
    this.checkConjunctions()
    for (const m of this.matches) {
      for (const [pre, want] of NEEDS[m.field] ?? []) {
        const got = this.matches.find(x => x.field === pre)
        if (got === undefined || !want.some(w => got.value === BigInt(w))) {
          throw new FlowError(
            this.stageName,
            `${m.field} needs ${pre}=${want.map(w => `0x${w.toString(16)}`).join(' or ')} (OpenFlow prerequisite)`,
          )
        }
      }
    }
    const flow: Flow = {
      table: OF_TABLE_BASE + this.stageId,
      priority: this.prio,
      cookie: makeCookie({ generation: this.generation, stage: this.stageId, subject: this.subject }),
      match: [...this.matches],
      actions: [...this.actions],
    }
    if (this.next !== undefined) flow.gotoTable = OF_TABLE_BASE + this.next
    if (this.idle !== undefined) flow.idleTimeout = this.idle
    return flow
  }
}

/** The agent's table-0 flow that enters the pipeline (tables below OF_TABLE_BASE belong to the agent). */
export function pipelineEntryFlow(opts: { generation: number; firstStage: number }): Flow {
  return {
    table: 0,
    priority: priorityOf('TABLE_MISS'),
    match: [],
    actions: [],
    cookie: makeCookie({ generation: opts.generation, stage: opts.firstStage, subject: { key: 0 } }),
    gotoTable: OF_TABLE_BASE + opts.firstStage,
  }
}

const setField = <F extends OfFieldName>(field: F, v: FieldValues[F]): Action => ({
  type: 'OFPAT_SET_FIELD',
  field,
  value: encode(field, v).value,
})

/** IEEE 802.1Q tag protocol identifier */
const ETH_TYPE_VLAN = 0x8100

/** Typed actions. */
export const act = {
  output: (port: OfPort): Action => ({ type: 'OFPAT_OUTPUT', port: port.value }),
  /** send back out of the ingress port (OFPP_IN_PORT: plain output to in_port is dropped, §7.2.1) */
  inPort: (): Action => ({ type: 'OFPAT_OUTPUT', port: OFPP_IN_PORT }),
  /** packet-in with the whole frame; the cookie carries the reason */
  controller: (): Action => ({ type: 'OFPAT_OUTPUT', port: OFPP_CONTROLLER, maxLen: OFPCML_NO_BUFFER }),
  decTtl: (): Action => ({ type: 'OFPAT_DEC_NW_TTL' }),
  popVlan: (): Action => ({ type: 'OFPAT_POP_VLAN' }),
  /** push an 802.1Q tag with this VID (PCP 0, DEI 0), BEHAVIOUR.md "Ways in and out" */
  pushVlan: (vid: number): Action[] => [{ type: 'OFPAT_PUSH_VLAN', ethertype: ETH_TYPE_VLAN }, setField('vlan_vid', OFPVID_PRESENT | vid)],
  setIpv4Dst: (ip: Ipv4Address): Action => setField('nw_dst', ip),
  setIpv6Dst: (ip: Ipv6Address): Action => setField('ipv6_dst', ip),
  setEthSrc: (mac: MacAddress): Action => setField('eth_src', mac),
  setEthDst: (mac: MacAddress): Action => setField('eth_dst', mac),
  setArpOp: (op: number): Action => setField('arp_op', op),
  setArpSha: (mac: MacAddress): Action => setField('arp_sha', mac),
  setArpSpa: (ip: Ipv4Address): Action => setField('arp_spa', ip),
  setTunDst: (ip: Ipv4Address): Action => setField('tun_dst', ip),
  setTunId: (key: Key): Action => setField('tun_id', key),
  setKey: (reg: 'reg0' | 'reg1' | 'reg2' | 'reg3' | 'reg6' | 'reg7', key: Key): Action => setField(reg, key),
  setNexthop: (ip: Ipv4Address): Action => setField('reg4', ip),
  setNexthop6: (ip: Ipv6Address): Action => setField('xxreg2', ip),
  setIpv4Src: (ip: Ipv4Address): Action => setField('nw_src', ip),
  setIpv6Src: (ip: Ipv6Address): Action => setField('ipv6_src', ip),
  /** OVS fixes the IPv4 header checksum (ovs-actions(7) set_field) */
  setTtl: (ttl: number): Action => setField('nw_ttl', ttl),
  /** OVS fixes the ICMP checksum */
  setIcmpType: (type: number): Action => setField('icmp_type', type),
  setIcmpv6Type: (type: number): Action => setField('icmpv6_type', type),
  /** sets the whole flag register: flags are only ever set once per pass (layout.ts) */
  setFlags: (flags: number): Action => ({ type: 'OFPAT_SET_FIELD', field: 'reg5', value: BigInt(flags) }),
  move: (src: FieldSlice, dst: FieldSlice): Action => ({ type: 'NXAST_REG_MOVE', src, dst }),
  /** resubmit(,table of stageId): for a stage that looks itself up again (the flood chunks, l2-flows.ts) */
  resubmitTo: (stageId: number): Action => ({ type: 'NXAST_RESUBMIT_TABLE', table: OF_TABLE_BASE + stageId }),
  /** ct(table=<stage>,zone=reg0[0..15]): look up the network's zone, go on in `stageId` (a next stage) */
  ctLookup: (stageId: number): Action => ({ type: 'NXAST_CT', commit: false, zone: CT_ZONE, table: OF_TABLE_BASE + stageId, exec: [] }),
  /** ct(commit,zone=reg0[0..15],exec(set_field:<mark>->ct_mark)): commit the connection with this mark */
  ctCommit: (mark: number): Action => ({
    type: 'NXAST_CT',
    commit: true,
    zone: CT_ZONE,
    exec: [{ type: 'OFPAT_SET_FIELD', field: 'ct_mark', value: BigInt(mark >>> 0) }],
  }),
  /** ct(table=<stage>,zone=reg0[0..15],nat): look up the network's zone and apply the connection's translation
   * (a reply gets the reverse one), go on in `stageId` (a next stage) */
  ctNatLookup: (stageId: number): Action => ({
    type: 'NXAST_CT',
    commit: false,
    zone: CT_ZONE,
    table: OF_TABLE_BASE + stageId,
    exec: [],
    nat: {},
  }),
  /** ct(commit,zone=reg0[0..15],nat(src=<ip>)): commit the connection with its source translated to `ip` */
  ctCommitSnat: (ip: Ipv4Address): Action => ({ type: 'NXAST_CT', commit: true, zone: CT_ZONE, exec: [], nat: { srcIpv4: ip.value } }),
  /** conjunction(id, clause/nClauses) */
  conjunction: (id: number, clause: number, nClauses: number): Action => ({ type: 'NXAST_CONJUNCTION', id, clause, nClauses }),
}
