// OFPT_ERROR (A.4.4): struct ofp_error_msg is 12 bytes; the experimenter form (ofp_error_experimenter_msg,
// type 0xffff) is 16 and carries exp_type in place of code, then the experimenter id.
import { OFP_TYPES } from '../constants.js'
import { OFPET_EXPERIMENTER } from '../error-names.js'
import { registerMessage } from '../registry.js'

export const OFP_ERROR_MSG_LEN = 12
export const OFP_ERROR_EXPERIMENTER_MSG_LEN = 16

registerMessage<'OFPT_ERROR'>({
  name: 'OFPT_ERROR',
  ofpType: OFP_TYPES.OFPT_ERROR,
  encode(w, m) {
    w.u16(m.errType).u16(m.code)
    if (m.errType === OFPET_EXPERIMENTER) w.u32(m.experimenter ?? 0)
    w.bytes(m.data)
  },
  decode(r) {
    const errType = r.u16('error type')
    const code = r.u16('error code')
    if (errType === OFPET_EXPERIMENTER) {
      const experimenter = r.u32('experimenter')
      return { type: 'OFPT_ERROR', errType, code, experimenter, data: Buffer.from(r.rest()) }
    }
    return { type: 'OFPT_ERROR', errType, code, data: Buffer.from(r.rest()) }
  },
})
