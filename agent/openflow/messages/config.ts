// OFPT_GET_CONFIG_REQUEST / REPLY and OFPT_SET_CONFIG (A.3.2): struct ofp_switch_config is 12 bytes.
import { OFP_TYPES } from '../constants.js'
import { registerMessage } from '../registry.js'

export const OFP_SWITCH_CONFIG_LEN = 12

registerMessage<'OFPT_GET_CONFIG_REQUEST'>({
  name: 'OFPT_GET_CONFIG_REQUEST',
  ofpType: OFP_TYPES.OFPT_GET_CONFIG_REQUEST,
  encode() {},
  decode() {
    return { type: 'OFPT_GET_CONFIG_REQUEST' }
  },
})

registerMessage<'OFPT_GET_CONFIG_REPLY'>({
  name: 'OFPT_GET_CONFIG_REPLY',
  ofpType: OFP_TYPES.OFPT_GET_CONFIG_REPLY,
  encode(w, m) {
    w.u16(m.flags).u16(m.missSendLen)
  },
  decode(r) {
    return { type: 'OFPT_GET_CONFIG_REPLY', flags: r.u16('flags'), missSendLen: r.u16('miss_send_len') }
  },
})

registerMessage<'OFPT_SET_CONFIG'>({
  name: 'OFPT_SET_CONFIG',
  ofpType: OFP_TYPES.OFPT_SET_CONFIG,
  encode(w, m) {
    w.u16(m.flags).u16(m.missSendLen)
  },
  decode(r) {
    return { type: 'OFPT_SET_CONFIG', flags: r.u16('flags'), missSendLen: r.u16('miss_send_len') }
  },
})
