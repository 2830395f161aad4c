// OFPT_PACKET_OUT (A.3.7): struct ofp_packet_out is 24 bytes, then actions (actions_len bytes), then the frame.
import { OFP_NO_BUFFER, OFP_TYPES, OFPP_CONTROLLER } from '../constants.js'
import { decodeActions, encodeActions, type Action } from '../actions.js'
import type { PacketOut } from '../messages.js'
import { registerMessage } from '../registry.js'

export const OFP_PACKET_OUT_LEN = 24

registerMessage<'OFPT_PACKET_OUT'>({
  name: 'OFPT_PACKET_OUT',
  ofpType: OFP_TYPES.OFPT_PACKET_OUT,
  encode(w, m) {
    const start = w.length
    w.u32(m.bufferId).u32(m.inPort).u16(0).zeros(6)
    encodeActions(w, m.actions)
    w.setU16(start + 8, w.length - start - (OFP_PACKET_OUT_LEN - 8))
    w.bytes(m.data)
  },
  decode(r) {
    const bufferId = r.u32('buffer_id')
    const inPort = r.u32('in_port')
    const actionsLen = r.u16('actions_len')
    r.skip(6)
    const actions = decodeActions(r.sub(actionsLen, 'actions'))
    return { type: 'OFPT_PACKET_OUT', bufferId, inPort, actions, data: Buffer.from(r.rest()) }
  },
})

/** Send a whole frame (no buffer) through actions; in_port defaults to OFPP_CONTROLLER. */
export function packetOut(data: Buffer, actions: Action[], inPort = OFPP_CONTROLLER): PacketOut {
  return { type: 'OFPT_PACKET_OUT', bufferId: OFP_NO_BUFFER, inPort, actions, data }
}
