// OFPT_BARRIER_REQUEST / REPLY (A.3.8): header only; the reply means every earlier message was processed.
import { OFP_TYPES } from '../constants.js'
import { registerMessage } from '../registry.js'

registerMessage<'OFPT_BARRIER_REQUEST'>({
  name: 'OFPT_BARRIER_REQUEST',
  ofpType: OFP_TYPES.OFPT_BARRIER_REQUEST,
  encode() {},
  decode() {
    return { type: 'OFPT_BARRIER_REQUEST' }
  },
})

registerMessage<'OFPT_BARRIER_REPLY'>({
  name: 'OFPT_BARRIER_REPLY',
  ofpType: OFP_TYPES.OFPT_BARRIER_REPLY,
  encode() {},
  decode() {
    return { type: 'OFPT_BARRIER_REPLY' }
  },
})
