// The ONF bundle extension (EXT-230) as OVS 3.1 speaks it on OpenFlow 1.3: OFPT_EXPERIMENTER messages with
// experimenter ONF_EXPERIMENTER_ID. The bodies are those OpenFlow 1.4 later adopted (7.3.9):
//
//   ONF_ET_BUNDLE_CONTROL      | bundle_id (32) | type (16) | flags (16) |                      24 bytes in all
//   ONF_ET_BUNDLE_ADD_MESSAGE  | bundle_id (32) | pad (16)  | flags (16) | message (ofp_header ...) | pad to 8
//
// Open, add messages, then commit with ONF_BF_ATOMIC: the switch applies all of them or none.
import {
  ONF_BUNDLE_CTRL_TYPES,
  ONF_ET_BUNDLE_ADD_MESSAGE,
  ONF_ET_BUNDLE_CONTROL,
  ONF_EXPERIMENTER_ID,
  OFP_TYPES,
  type OnfBundleCtrlType,
} from '../constants.js'
import { OfError } from '../errors.js'
import { decodeHeader, decodeMessage, encodeInto, registerMessage } from '../registry.js'

export const ONF_BUNDLE_CTRL_LEN = 24
export const ONF_BUNDLE_ADD_LEN = 32 // with the inner message's header, before its body

const CTRL_NAMES = new Map<number, OnfBundleCtrlType>(
  Object.entries(ONF_BUNDLE_CTRL_TYPES).map(([k, v]): [number, OnfBundleCtrlType] => [v, k as OnfBundleCtrlType]),
)

registerMessage<'ONF_ET_BUNDLE_CONTROL'>({
  name: 'ONF_ET_BUNDLE_CONTROL',
  ofpType: OFP_TYPES.OFPT_EXPERIMENTER,
  experimenter: { id: ONF_EXPERIMENTER_ID, expType: ONF_ET_BUNDLE_CONTROL },
  encode(w, m) {
    w.u32(m.bundleId).u16(ONF_BUNDLE_CTRL_TYPES[m.ctrlType]).u16(m.flags)
  },
  decode(r) {
    const bundleId = r.u32('bundle_id')
    const code = r.u16('bundle ctrl type')
    const flags = r.u16('flags')
    const ctrlType = CTRL_NAMES.get(code)
    if (ctrlType === undefined) throw new OfError('OF_BAD_VALUE', `bundle control type ${code}`)
    return { type: 'ONF_ET_BUNDLE_CONTROL', bundleId, ctrlType, flags }
  },
})

registerMessage<'ONF_ET_BUNDLE_ADD_MESSAGE'>({
  name: 'ONF_ET_BUNDLE_ADD_MESSAGE',
  ofpType: OFP_TYPES.OFPT_EXPERIMENTER,
  experimenter: { id: ONF_EXPERIMENTER_ID, expType: ONF_ET_BUNDLE_ADD_MESSAGE },
  encode(w, m, xid) {
    w.u32(m.bundleId).zeros(2).u16(m.flags)
    encodeInto(w, m.message, xid) // the inner xid must equal the outer one (7.3.9.6)
  },
  decode(r) {
    const bundleId = r.u32('bundle_id')
    r.skip(2)
    const flags = r.u16('flags')
    const inner = decodeHeader(r.buf, r.off)
    const bytes = r.bytes(inner.length, 'bundled message')
    r.skip(Math.min(r.remaining, 7)) // padding to 8 (no properties are sent by OVS)
    return { type: 'ONF_ET_BUNDLE_ADD_MESSAGE', bundleId, flags, message: decodeMessage(Buffer.from(bytes)) }
  },
})
