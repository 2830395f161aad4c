// OFPT_ECHO_REQUEST / OFPT_ECHO_REPLY (A.5.2, A.5.3): arbitrary data, echoed back.
import { OFP_TYPES } from '../constants.js'
import { registerMessage } from '../registry.js'

registerMessage<'OFPT_ECHO_REQUEST'>({
  name: 'OFPT_ECHO_REQUEST',
  ofpType: OFP_TYPES.OFPT_ECHO_REQUEST,
  encode(w, m) {
    w.bytes(m.data)
  },
  decode(r) {
    return { type: 'OFPT_ECHO_REQUEST', data: Buffer.from(r.rest()) }
  },
})

registerMessage<'OFPT_ECHO_REPLY'>({
  name: 'OFPT_ECHO_REPLY',
  ofpType: OFP_TYPES.OFPT_ECHO_REPLY,
  encode(w, m) {
    w.bytes(m.data)
  },
  decode(r) {
    return { type: 'OFPT_ECHO_REPLY', data: Buffer.from(r.rest()) }
  },
})
