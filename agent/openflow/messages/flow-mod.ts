// OFPT_FLOW_MOD (A.3.4.1): struct ofp_flow_mod is 56 bytes with an empty (8-byte) match.
import {
  OFP_NO_BUFFER,
  OFP_TYPES,
  OFPFC_ADD,
  OFPFC_DELETE,
  OFPFC_DELETE_STRICT,
  OFPFC_MODIFY,
  OFPFC_MODIFY_STRICT,
  OFPG_ANY,
  OFPP_ANY,
  OFPTT_ALL,
} from '../constants.js'
import { decodeInstructions, encodeInstructions } from '../instructions.js'
import type { FlowMod } from '../messages.js'
import { decodeMatch, encodeMatch } from '../oxm.js'
import { registerMessage } from '../registry.js'

export const OFP_FLOW_MOD_LEN = 56
export const OFP_DEFAULT_PRIORITY = 0x8000

registerMessage<'OFPT_FLOW_MOD'>({
  name: 'OFPT_FLOW_MOD',
  ofpType: OFP_TYPES.OFPT_FLOW_MOD,
  encode(w, m) {
    w.u64(m.cookie)
      .u64(m.cookieMask)
      .u8(m.tableId)
      .u8(m.command)
      .u16(m.idleTimeout)
      .u16(m.hardTimeout)
      .u16(m.priority)
      .u32(m.bufferId)
      .u32(m.outPort)
      .u32(m.outGroup)
      .u16(m.flags)
      .zeros(2)
    encodeMatch(w, m.match)
    encodeInstructions(w, m.instructions)
  },
  decode(r) {
    const cookie = r.u64('cookie')
    const cookieMask = r.u64('cookie_mask')
    const tableId = r.u8()
    const command = r.u8()
    const idleTimeout = r.u16()
    const hardTimeout = r.u16()
    const priority = r.u16()
    const bufferId = r.u32()
    const outPort = r.u32()
    const outGroup = r.u32()
    const flags = r.u16()
    r.skip(2)
    const match = decodeMatch(r)
    const instructions = decodeInstructions(r)
    return {
      type: 'OFPT_FLOW_MOD',
      cookie,
      cookieMask,
      tableId,
      command,
      idleTimeout,
      hardTimeout,
      priority,
      bufferId,
      outPort,
      outGroup,
      flags,
      match,
      instructions,
    }
  },
})

export type FlowModOptions = Partial<Omit<FlowMod, 'type' | 'command'>>

/** A FLOW_MOD with the spec's defaults for what is not given (no buffer, any port/group, priority 0x8000). */
export function flowMod(command: number, opts: FlowModOptions = {}): FlowMod {
  const m: FlowMod = {
    type: 'OFPT_FLOW_MOD',
    cookie: opts.cookie ?? 0n,
    cookieMask: opts.cookieMask ?? 0n,
    tableId: opts.tableId ?? 0,
    command,
    idleTimeout: opts.idleTimeout ?? 0,
    hardTimeout: opts.hardTimeout ?? 0,
    priority: opts.priority ?? OFP_DEFAULT_PRIORITY,
    bufferId: opts.bufferId ?? OFP_NO_BUFFER,
    outPort: opts.outPort ?? OFPP_ANY,
    outGroup: opts.outGroup ?? OFPG_ANY,
    flags: opts.flags ?? 0,
    match: opts.match ?? [],
    instructions: opts.instructions ?? [],
  }
  if (opts.xid !== undefined) m.xid = opts.xid
  return m
}

export const flowAdd = (opts: FlowModOptions): FlowMod => flowMod(OFPFC_ADD, opts)
export const flowModify = (opts: FlowModOptions, strict = true): FlowMod => flowMod(strict ? OFPFC_MODIFY_STRICT : OFPFC_MODIFY, opts)
/** Delete the one flow with exactly this match and priority in this table. */
export const flowDeleteStrict = (opts: FlowModOptions): FlowMod => flowMod(OFPFC_DELETE_STRICT, opts)
/** Delete every flow, in every table unless one is given, whose cookie matches under the mask (6.4). */
export const flowDeleteByCookie = (cookie: bigint, cookieMask: bigint, tableId = OFPTT_ALL): FlowMod =>
  flowMod(OFPFC_DELETE, { cookie, cookieMask, tableId })
