// OFPT_PACKET_IN (A.4.1): struct ofp_packet_in is 32 bytes with an empty match; 2 pad bytes follow the match
// so that the frame's IP header is aligned. OVS 3.1 never buffers: buffer_id is OFP_NO_BUFFER, data is whole.
import { OFP_TYPES } from '../constants.js'
import { decodeMatch, encodeMatch } from '../oxm.js'
import { registerMessage } from '../registry.js'

export const OFP_PACKET_IN_LEN = 32

registerMessage<'OFPT_PACKET_IN'>({
  name: 'OFPT_PACKET_IN',
  ofpType: OFP_TYPES.OFPT_PACKET_IN,
  encode(w, m) {
    w.u32(m.bufferId).u16(m.totalLen).u8(m.reason).u8(m.tableId).u64(m.cookie)
    encodeMatch(w, m.match)
    w.zeros(2).bytes(m.data)
  },
  decode(r) {
    const bufferId = r.u32('buffer_id')
    const totalLen = r.u16()
    const reason = r.u8()
    const tableId = r.u8()
    const cookie = r.u64('cookie')
    const match = decodeMatch(r)
    r.skip(2)
    return { type: 'OFPT_PACKET_IN', bufferId, totalLen, reason, tableId, cookie, match, data: Buffer.from(r.rest()) }
  },
})
