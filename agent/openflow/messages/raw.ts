// Message types that are recognised but not decoded (FLOW_REMOVED, ROLE_REPLY, ...): kept as bytes so a switch
// sending them is not an error, and generic experimenter messages.
import { OFP_TYPE_NAMES, OFP_TYPES } from '../constants.js'
import { OfError } from '../errors.js'
import { registerMessage } from '../registry.js'

registerMessage<'raw'>({
  name: 'raw',
  ofpType: -1, // the message's own ofpType is written by the registry
  encode(w, m) {
    w.bytes(m.body)
  },
  decode(r, h) {
    const name = OFP_TYPE_NAMES.get(h.type)
    if (name === undefined) throw new OfError('OF_UNKNOWN_TYPE', `ofp_type ${h.type}`)
    return { type: 'raw', ofpType: h.type, name, body: Buffer.from(r.rest()) }
  },
})

// struct ofp_experimenter_header (A.5.4): 16 bytes, experimenter id and exp_type after the header
registerMessage<'OFPT_EXPERIMENTER'>({
  name: 'OFPT_EXPERIMENTER',
  ofpType: OFP_TYPES.OFPT_EXPERIMENTER,
  encode(w, m) {
    w.u32(m.experimenter).u32(m.expType).bytes(m.data)
  },
  decode(r) {
    return { type: 'OFPT_EXPERIMENTER', experimenter: r.u32('experimenter'), expType: r.u32('exp_type'), data: Buffer.from(r.rest()) }
  },
})
