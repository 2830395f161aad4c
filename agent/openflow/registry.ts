// Messages are registered by ofp_type code (experimenter messages by experimenter id and exp_type);
// encodeMessage/decodeMessage look codecs up here and own the ofp_header (A.1):
//
//   | version (8) | type (8) | length (16) | xid (32) |   length counts the header
import { Reader, Writer } from './bytes.js'
import { OfError } from './errors.js'
import { OFP_HEADER_LEN, OFP_MAX_MESSAGE_LEN, OFP_TYPES, OFP_VERSION } from './constants.js'
import type { MessageOf, OfMessage, OfMessageType } from './messages.js'

export interface OfpHeader {
  version: number
  type: number
  length: number
  xid: number
}

export interface MessageCodec<M extends OfMessage> {
  /** the message's `type` name */
  name: M['type']
  /** ofp_type code on the wire */
  ofpType: number
  /** for OFPT_EXPERIMENTER messages: experimenter id and exp_type, written by the registry */
  experimenter?: { id: number; expType: number }
  /** the body after the header (and after the experimenter header for experimenter messages) */
  encode: (w: Writer, m: M, xid: number) => void
  decode: (r: Reader, h: OfpHeader) => M
}

const byName = new Map<string, MessageCodec<OfMessage>>()
const byCode = new Map<number, MessageCodec<OfMessage>>()
const byExperimenter = new Map<string, MessageCodec<OfMessage>>()
const expKey = (id: number, expType: number): string => `${id}:${expType}`

export function registerMessage<T extends OfMessageType>(codec: MessageCodec<MessageOf<T>>): void {
  const c = codec as unknown as MessageCodec<OfMessage> // the map holds every member of the union
  // A second codec for a name or code would silently replace the first: refuse it, before changing anything.
  if (byName.has(c.name)) throw new Error(`OpenFlow message ${c.name} is already registered`)
  const exp = c.experimenter
  const key = exp !== undefined ? expKey(exp.id, exp.expType) : undefined
  const taken = key !== undefined ? byExperimenter.get(key) : byCodeKeyed(c) ? byCode.get(c.ofpType) : undefined
  if (taken !== undefined) {
    const what = exp !== undefined ? `experimenter ${exp.id} exp_type ${exp.expType}` : `ofp_type ${c.ofpType}`
    throw new Error(`OpenFlow message ${c.name}: ${what} is already registered for ${taken.name}`)
  }
  byName.set(c.name, c)
  if (key !== undefined) byExperimenter.set(key, c)
  else if (byCodeKeyed(c)) byCode.set(c.ofpType, c)
}

/** raw (any code) and the generic OFPT_EXPERIMENTER are found by name or as fallbacks, not by their code. */
const byCodeKeyed = (c: MessageCodec<OfMessage>): boolean => c.name !== 'raw' && c.name !== 'OFPT_EXPERIMENTER'

/** Registered ofp_type codes (used by tests to check each is registered once). */
export function registeredTypes(): number[] {
  return [...byCode.keys()]
}

/** Encode a message, header included. */
export function encodeMessage(m: OfMessage, xid = m.xid ?? 0): Buffer {
  const w = new Writer()
  encodeInto(w, m, xid)
  return w.finish()
}

/** Encode into a writer (used by bundles to nest a message). */
export function encodeInto(w: Writer, m: OfMessage, xid = m.xid ?? 0): void {
  const c = byName.get(m.type)
  if (c === undefined) throw new OfError('OF_UNKNOWN_TYPE', `no codec for ${m.type}`)
  const start = w.length
  const ofpType = m.type === 'raw' ? m.ofpType : c.ofpType
  w.u8(OFP_VERSION).u8(ofpType).u16(0).u32(xid)
  if (c.experimenter !== undefined) w.u32(c.experimenter.id).u32(c.experimenter.expType)
  c.encode(w, m, xid)
  const length = w.length - start
  if (length > OFP_MAX_MESSAGE_LEN) throw new OfError('OF_BAD_VALUE', `${m.type} is ${length} bytes, over 65535`)
  w.setU16(start + 2, length)
}

export function decodeHeader(buf: Buffer, off = 0): OfpHeader {
  const r = new Reader(buf, off)
  return { version: r.u8('version'), type: r.u8('type'), length: r.u16('length'), xid: r.u32('xid') }
}

/** Decode exactly one message from buf (its length field must match). Throws OfError. */
export function decodeMessage(buf: Buffer): OfMessage {
  const h = decodeHeader(buf)
  if (h.length < OFP_HEADER_LEN || h.length !== buf.length) {
    throw new OfError('OF_BAD_LENGTH', `header length ${h.length}, message is ${buf.length} bytes`)
  }
  // A HELLO may carry a higher version: that is how negotiation works (6.3.1)
  if (h.version !== OFP_VERSION && h.type !== OFP_TYPES.OFPT_HELLO) {
    throw new OfError('OF_BAD_VERSION', `version 0x${h.version.toString(16)} in type ${h.type}`)
  }
  const r = new Reader(buf, OFP_HEADER_LEN)
  let c: MessageCodec<OfMessage> | undefined
  if (h.type === OFP_TYPES.OFPT_EXPERIMENTER) {
    const id = r.peek16(0) * 0x10000 + r.peek16(2, 'experimenter')
    const expType = r.peek16(4) * 0x10000 + r.peek16(6, 'exp_type')
    c = byExperimenter.get(expKey(id, expType)) ?? byName.get('OFPT_EXPERIMENTER')
    if (c?.experimenter !== undefined) r.skip(8)
  } else {
    c = byCode.get(h.type) ?? byName.get('raw')
  }
  if (c === undefined) throw new OfError('OF_UNKNOWN_TYPE', `ofp_type ${h.type}`)
  const m = c.decode(r, h)
  m.xid = h.xid
  return m
}
