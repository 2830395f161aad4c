// OFPT_PORT_STATUS (A.4.3): reason, 7 pad bytes, struct ofp_port: 80 bytes.
import { OFP_TYPES } from '../constants.js'
import { decodePort, encodePort } from '../port.js'
import { registerMessage } from '../registry.js'

export const OFP_PORT_STATUS_LEN = 80

registerMessage<'OFPT_PORT_STATUS'>({
  name: 'OFPT_PORT_STATUS',
  ofpType: OFP_TYPES.OFPT_PORT_STATUS,
  encode(w, m) {
    w.u8(m.reason).zeros(7)
    encodePort(w, m.port)
  },
  decode(r) {
    const reason = r.u8('reason')
    r.skip(7)
    return { type: 'OFPT_PORT_STATUS', reason, port: decodePort(r) }
  },
})
