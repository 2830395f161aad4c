// The flows this node wants on its switch, kept incrementally, and what the switch holds as far as committed
// bundles go. An entry delta re-emits only the units it touches (offload/openflow/emit-units.ts); each unit's
// flows are kept as encoded FLOW_MOD bodies, so the state per flow is one Buffer and one small record:
//
//   units: unit id -> bodies it emitted          table: hash(identity) -> Rec (or a bucket of them)
//   Rec { desired, installed, contrib }          dirty: Recs whose desired may differ from installed
//
// A flow's identity is (table, priority, match) (OpenFlow 1.3.5 §6.4), read off the body's bytes; two units
// may emit the same identity (one bad_vlan drop per in_port from two classify rows): each is a contributor, and
// the desired body is the least of them in byte order, so the outcome never depends on the order of deltas
// (the full recompute, fed in any order, gets the same table).
//
// takeChanges() turns the dirty Recs into FLOW_MODs (DELETE_STRICT for identities nobody wants, ADD for new or
// changed bodies: an ADD with an identical match and priority replaces in place) and, once the bundle holding
// them commits, marks them installed. Nothing per flow is kept as a string.
import { createHash } from 'node:crypto'
import { OFPFC_ADD, OFPFC_DELETE_STRICT, type FlowStats, type OfMessage } from '../openflow/index.js'
import { Reader } from '../openflow/bytes.js'
import { OFP_TYPES } from '../openflow/constants.js'
import { flowMod } from '../openflow/messages/flow-mod.js'
import { decodeMatch } from '../openflow/oxm.js'
import { decodeMessage, encodeMessage } from '../openflow/registry.js'
import type { FlowMod } from '../openflow/messages.js'
import type { Entry } from '../../datapath/host/entries.js'
import type { EntryDelta } from '../compiler/types.js'
import { entryKey } from '../compiler/entry-key.js'
import { Context } from '../../offload/openflow/stages/context.js'
import {
  type UnitId,
  type UnitOptions,
  entryUnitFlows,
  groupUnitFlows,
  groupUnits,
  groupUnitsOf,
} from '../../offload/openflow/emit-units.js'
import type { L3Mode } from '../../offload/openflow/emitter.js'
import type { Flow } from '../../offload/openflow/flow.js'
import { PROACTIVE_GENERATION } from '../../offload/openflow/layout.js'
import { encodeInstructions, encodeMatch } from './flow-encoder.js'
import { instructionsKey, matchKey } from './flow-key.js'

// struct ofp_flow_mod after the 8-byte header (OpenFlow 1.3.5 A.3.4.1): cookie 0, cookie_mask 8, table_id 16,
// command 17, idle_timeout 18, hard_timeout 20, priority 22, buffer_id 24, out_port 28, out_group 32, flags 36,
// pad 38, then struct ofp_match at 40 (type, length, OXM TLVs, padding to 8 bytes) and the instructions.
const OFP_HEADER_LEN = 8
const AT_TABLE = 16
const AT_COMMAND = 17
const AT_PRIORITY = 22
const AT_MATCH = 40

/** Where the match ends in a FLOW_MOD body (ofp_match.length excludes its padding, §7.2.3.1). */
const matchEnd = (b: Buffer): number => AT_MATCH + Math.ceil(b.readUInt16BE(AT_MATCH + 2) / 8) * 8

/** FNV-1a over the identity bytes: table, priority, match. */
function identityHash(b: Buffer): number {
  let h = 0x811c9dc5
  const step = (byte: number): void => {
    h = Math.imul(h ^ byte, 0x01000193)
  }
  step(b[AT_TABLE] as number)
  step(b[AT_PRIORITY] as number)
  step(b[AT_PRIORITY + 1] as number)
  const end = matchEnd(b)
  for (let i = AT_MATCH; i < end; i++) step(b[i] as number)
  return h >>> 0
}

function sameIdentity(a: Buffer, b: Buffer): boolean {
  if (a[AT_TABLE] !== b[AT_TABLE] || a.readUInt16BE(AT_PRIORITY) !== b.readUInt16BE(AT_PRIORITY)) return false
  const end = matchEnd(a)
  return end === matchEnd(b) && a.compare(b, AT_MATCH, end, AT_MATCH, end) === 0
}

/** A desired flow as the body of an OFPFC_ADD. */
export function flowBody(f: Flow): Buffer {
  const m = flowMod(OFPFC_ADD, {
    tableId: f.table,
    priority: f.priority,
    cookie: f.cookie,
    match: encodeMatch(f.match),
    instructions: encodeInstructions(f),
    ...(f.idleTimeout !== undefined ? { idleTimeout: f.idleTimeout } : {}),
  })
  return Buffer.from(encodeMessage(m).subarray(OFP_HEADER_LEN)) // a copy: the encoder's buffer may be larger
}

/** The FLOW_MOD a body stands for (decoded back: for `dragonflow flows`, tests and benches, not the hot path). */
export function decodeBody(b: Buffer): FlowMod {
  const header = Buffer.alloc(OFP_HEADER_LEN)
  header.writeUInt8(0x04, 0)
  header.writeUInt8(OFP_TYPES.OFPT_FLOW_MOD, 1)
  header.writeUInt16BE(OFP_HEADER_LEN + b.length, 2)
  const m = decodeMessage(Buffer.concat([header, b]))
  if (m.type !== 'OFPT_FLOW_MOD') throw new Error(`not a FLOW_MOD body: ${m.type}`)
  return m
}

const raw = (body: Buffer): OfMessage => ({ type: 'raw', ofpType: OFP_TYPES.OFPT_FLOW_MOD, name: 'OFPT_FLOW_MOD', body })

function deleteStrictOf(b: Buffer): OfMessage {
  const d = Buffer.from(b.subarray(0, matchEnd(b))) // no instructions: a delete ignores them
  d.writeUInt8(OFPFC_DELETE_STRICT, AT_COMMAND)
  return raw(d)
}

interface Rec {
  /** the least contributor, undefined when no unit wants this identity any more */
  desired: Buffer | undefined
  /** what the last committed bundle left on the switch (undefined: nothing of this identity) */
  installed: Buffer | undefined
  contrib: Buffer | Buffer[] | undefined
  /** a resync found a flow of this identity on the switch that differs from `installed` (an ADD replaces it) */
  mismatch?: boolean
}

export interface FlowOptions {
  /** ofport of the flow-based tunnel port */
  tunnelOfport?: number | undefined
  l3: L3Mode
  /** include the table-0 flow that enters the pipeline; default true */
  entryFlow?: boolean
}

/** One batch of FLOW_MODs and what to do once the switch took it (or did not). */
export interface FlowChanges {
  messages: OfMessage[]
  added: number
  deleted: number
  /** the bundle committed (true) or failed (false: everything stays to be sent) */
  done: (committed: boolean) => void
}

export interface DesiredStats {
  flows: number
  units: number
  dirty: number
  /** identities emitted by two units with different bodies (the least body wins) */
  conflicts: number
}

export class DesiredFlows {
  private ctx: Context
  private opts: UnitOptions & { tunnelOfport: number | undefined }
  private readonly units = new Map<UnitId, Buffer[]>()
  private readonly table = new Map<number, Rec | Rec[]>()
  private readonly dirty = new Set<Rec>()
  private desiredCount = 0
  private conflicts = 0

  constructor(opts: FlowOptions) {
    this.opts = { l3: opts.l3, entryFlow: opts.entryFlow ?? true, tunnelOfport: opts.tunnelOfport }
    this.ctx = new Context({ generation: PROACTIVE_GENERATION, tunnelOfport: opts.tunnelOfport })
    this.setUnit('fixed', groupUnitFlows(this.ctx, 'fixed', this.opts))
  }

  /** A given set of flows instead of entries (tests of the sync, tools): setFlows() changes it. */
  static ofFlows(flows: readonly Flow[]): DesiredFlows {
    const d = new DesiredFlows({ l3: 'proactive', entryFlow: false })
    d.setUnit('fixed', [])
    d.setFlows(flows)
    return d
  }

  setFlows(flows: readonly Flow[]): void {
    this.setUnit('flows', flows)
  }

  /** The entry index the flows were emitted from (the reactive route query reads it). */
  get context(): Context {
    return this.ctx
  }

  get size(): number {
    return this.desiredCount
  }

  stats(): DesiredStats {
    return { flows: this.desiredCount, units: this.units.size, dirty: this.dirty.size, conflicts: this.conflicts }
  }

  /** Apply an entry delta (removed before added, as the compiler's contract says). */
  applyDelta(d: EntryDelta): void {
    if (d.added.length + d.removed.length === 0) return
    const groups = new Set<UnitId>()
    for (const e of d.removed) {
      const k = entryKey(e)
      for (const u of groupUnitsOf(this.ctx, e)) groups.add(u)
      this.ctx.remove(k, e)
      this.setUnit(k, [])
    }
    for (const e of d.added) {
      const k = entryKey(e)
      this.ctx.add(k, e)
      for (const u of groupUnitsOf(this.ctx, e)) groups.add(u)
      this.setUnit(k, entryUnitFlows(this.ctx, e))
    }
    for (const u of groups) this.setUnit(u, groupUnitFlows(this.ctx, u, this.opts))
  }

  /** Change the tunnel port or the routing mode: every unit is emitted again (the diff keeps what is equal). */
  reconfigure(opts: Partial<FlowOptions>): void {
    const next = { ...this.opts, ...opts }
    if (next.l3 === this.opts.l3 && next.tunnelOfport === this.opts.tunnelOfport && next.entryFlow === this.opts.entryFlow) return
    this.opts = { l3: next.l3, entryFlow: next.entryFlow ?? true, tunnelOfport: next.tunnelOfport }
    this.ctx = new Context({ generation: PROACTIVE_GENERATION, tunnelOfport: this.opts.tunnelOfport }, this.ctx.entries())
    const seen = new Set<UnitId>()
    for (const [k, e] of this.ctx.entries()) {
      seen.add(k)
      this.setUnit(k, entryUnitFlows(this.ctx, e))
    }
    for (const u of groupUnits(this.ctx)) {
      seen.add(u)
      this.setUnit(u, groupUnitFlows(this.ctx, u, this.opts))
    }
    for (const u of [...this.units.keys()]) if (!seen.has(u)) this.setUnit(u, [])
  }

  private setUnit(id: UnitId, flows: readonly Flow[]): void {
    const old = this.units.get(id) ?? []
    const bodies = flows.map(flowBody)
    if (old.length === bodies.length && old.every((b, i) => b.equals(bodies[i] as Buffer))) return
    for (const b of old) this.removeContrib(b)
    for (const b of bodies) this.addContrib(b)
    if (bodies.length > 0) this.units.set(id, bodies)
    else this.units.delete(id)
  }

  private find(b: Buffer, h = identityHash(b)): Rec | undefined {
    const slot = this.table.get(h)
    if (slot === undefined) return undefined
    if (!Array.isArray(slot)) return sameIdentity(slotBody(slot), b) ? slot : undefined
    return slot.find(r => sameIdentity(slotBody(r), b))
  }

  private addContrib(b: Buffer): void {
    const h = identityHash(b)
    const rec = this.find(b, h)
    if (rec === undefined) {
      const r: Rec = { desired: b, installed: undefined, contrib: b }
      const slot = this.table.get(h)
      if (slot === undefined) this.table.set(h, r)
      else this.table.set(h, Array.isArray(slot) ? [...slot, r] : [slot, r])
      this.desiredCount++
      this.dirty.add(r)
      return
    }
    rec.contrib = rec.contrib === undefined ? b : Array.isArray(rec.contrib) ? [...rec.contrib, b] : [rec.contrib, b]
    if (rec.desired === undefined) this.desiredCount++
    else if (!rec.desired.equals(b)) this.conflicts++
    this.settleWinner(rec)
  }

  private removeContrib(b: Buffer): void {
    const rec = this.find(b)
    if (rec?.contrib === undefined) return
    if (Array.isArray(rec.contrib)) {
      const i = rec.contrib.indexOf(b)
      const rest = rec.contrib.filter((_, j) => j !== (i >= 0 ? i : rec.contrib?.length))
      rec.contrib = rest.length === 1 ? rest[0] : rest
    } else rec.contrib = undefined
    if (rec.contrib === undefined) this.desiredCount--
    this.settleWinner(rec)
    // wanted by nobody and never installed: nothing to delete on the switch either
    if (rec.contrib === undefined && rec.installed === undefined) {
      this.drop(rec, b)
      this.dirty.delete(rec)
    }
  }

  private settleWinner(rec: Rec): void {
    const c = rec.contrib
    const winner = c === undefined ? undefined : Array.isArray(c) ? c.reduce((a, x) => (x.compare(a) < 0 ? x : a)) : c
    if (winner === rec.desired) return
    rec.desired = winner
    this.dirty.add(rec)
  }

  private drop(rec: Rec, b: Buffer = slotBody(rec)): void {
    const h = identityHash(b)
    const slot = this.table.get(h)
    if (slot === rec) this.table.delete(h)
    else if (Array.isArray(slot)) {
      const rest = slot.filter(r => r !== rec)
      if (rest.length === 1) this.table.set(h, rest[0] as Rec)
      else this.table.set(h, rest)
    }
  }

  /** The FLOW_MODs that bring the switch from what is installed to what is desired, deletes first. */
  takeChanges(): FlowChanges {
    const deletes: OfMessage[] = []
    const adds: OfMessage[] = []
    const sent: [Rec, Buffer | undefined][] = []
    for (const rec of this.dirty) {
      const { desired, installed } = rec
      if (
        rec.mismatch !== true &&
        (desired === installed || (desired !== undefined && installed !== undefined && desired.equals(installed)))
      ) {
        if (desired === undefined) this.drop(rec, installed)
        rec.installed = desired
        continue
      }
      if (desired === undefined) {
        if (installed !== undefined) deletes.push(deleteStrictOf(installed))
      } else adds.push(raw(desired))
      sent.push([rec, desired])
    }
    this.dirty.clear()
    return {
      messages: [...deletes, ...adds],
      added: adds.length,
      deleted: deletes.length,
      done: committed => {
        for (const [rec, body] of sent) {
          const before = rec.installed
          if (committed) {
            rec.installed = body
            delete rec.mismatch
          }
          if (!committed || rec.desired !== body)
            this.dirty.add(rec) // failed, or changed again meanwhile
          else if (body === undefined) this.drop(rec, before)
        }
      },
    }
  }

  /**
   * After a (re)connect: take the switch's flows (a dump) as what is installed. Desired flows found equal
   * (table, priority, match, cookie, instructions) are kept untouched; the rest is dirty. Returns the deletes of
   * the dumped flows nobody wants (reactive flows are the caller's: pass only the others).
   */
  adoptInstalled(dump: readonly FlowStats[]): { stale: OfMessage[]; kept: number } {
    const byKey = new Map<string, Rec>() // strings for the length of one resync only
    for (const slot of this.table.values()) {
      for (const rec of Array.isArray(slot) ? slot : [slot]) {
        if (rec.desired === undefined) {
          this.drop(rec, rec.installed)
          this.dirty.delete(rec)
          continue
        }
        rec.installed = undefined
        delete rec.mismatch
        this.dirty.add(rec)
        const b = rec.desired
        byKey.set(matchKey(b[AT_TABLE] as number, b.readUInt16BE(AT_PRIORITY), decodeMatch(new Reader(b, AT_MATCH, matchEnd(b)))), rec)
      }
    }
    const stale: OfMessage[] = []
    let kept = 0
    for (const s of dump) {
      const rec = byKey.get(matchKey(s.tableId, s.priority, s.match))
      if (rec?.desired === undefined) {
        stale.push(flowMod(OFPFC_DELETE_STRICT, { tableId: s.tableId, priority: s.priority, match: s.match }))
        continue
      }
      const b = rec.desired
      const same =
        b.readBigUInt64BE(0) === s.cookie &&
        b.readUInt16BE(18) === s.idleTimeout &&
        instructionsKey(s.instructions) === b.subarray(matchEnd(b)).toString('hex')
      rec.installed = b
      if (same) {
        kept++
        this.dirty.delete(rec)
      } else rec.mismatch = true
    }
    return { stale, kept }
  }

  /** Every desired body (for the oracle and `installedFlows()`; O(flows)). */
  *bodies(): IterableIterator<Buffer> {
    for (const slot of this.table.values()) {
      for (const rec of Array.isArray(slot) ? slot : [slot]) if (rec.desired !== undefined) yield rec.desired
    }
  }

  /** Every body the switch holds as far as committed bundles go. */
  *installedBodies(): IterableIterator<Buffer> {
    for (const slot of this.table.values()) {
      for (const rec of Array.isArray(slot) ? slot : [slot]) if (rec.installed !== undefined && rec.mismatch !== true) yield rec.installed
    }
  }
}

/** Any body of the Rec: all its bodies share its identity. */
function slotBody(r: Rec): Buffer {
  const b = r.desired ?? r.installed ?? (Array.isArray(r.contrib) ? r.contrib[0] : r.contrib)
  if (b === undefined) throw new Error('flow record without a body')
  return b
}

/** A digest of a set of bodies, order-free (tests compare an incremental table with a full recompute). */
export function digestBodies(bodies: Iterable<Buffer>): string {
  const hs = [...bodies].map(b => createHash('sha256').update(b).digest('hex')).sort()
  return createHash('sha256').update(hs.join('')).digest('hex')
}

export type { Entry }
