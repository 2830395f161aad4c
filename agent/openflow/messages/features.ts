// OFPT_FEATURES_REQUEST / REPLY (A.3.1): struct ofp_switch_features is 32 bytes.
import { OFP_TYPES } from '../constants.js'
import { registerMessage } from '../registry.js'

export const OFP_SWITCH_FEATURES_LEN = 32

registerMessage<'OFPT_FEATURES_REQUEST'>({
  name: 'OFPT_FEATURES_REQUEST',
  ofpType: OFP_TYPES.OFPT_FEATURES_REQUEST,
  encode() {},
  decode() {
    return { type: 'OFPT_FEATURES_REQUEST' }
  },
})

registerMessage<'OFPT_FEATURES_REPLY'>({
  name: 'OFPT_FEATURES_REPLY',
  ofpType: OFP_TYPES.OFPT_FEATURES_REPLY,
  encode(w, m) {
    w.u64(m.datapathId).u32(m.nBuffers).u8(m.nTables).u8(m.auxiliaryId).zeros(2).u32(m.capabilities).u32(0)
  },
  decode(r) {
    const datapathId = r.u64('datapath_id')
    const nBuffers = r.u32()
    const nTables = r.u8()
    const auxiliaryId = r.u8()
    r.skip(2)
    const capabilities = r.u32()
    r.skip(4, 'reserved')
    return { type: 'OFPT_FEATURES_REPLY', datapathId, nBuffers, nTables, auxiliaryId, capabilities }
  },
})
