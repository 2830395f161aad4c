// OFPT_GROUP_MOD (A.3.4.2): struct ofp_group_mod is 16 bytes, each struct ofp_bucket 16 plus its actions.
import { Reader } from '../bytes.js'
import { OFP_TYPES } from '../constants.js'
import { OfError } from '../errors.js'
import { decodeActions, encodeActions } from '../actions.js'
import type { Bucket } from '../messages.js'
import { registerMessage } from '../registry.js'

export const OFP_GROUP_MOD_LEN = 16
export const OFP_BUCKET_LEN = 16

registerMessage<'OFPT_GROUP_MOD'>({
  name: 'OFPT_GROUP_MOD',
  ofpType: OFP_TYPES.OFPT_GROUP_MOD,
  encode(w, m) {
    w.u16(m.command).u8(m.groupType).zeros(1).u32(m.groupId)
    for (const b of m.buckets) {
      const start = w.length
      w.u16(0).u16(b.weight).u32(b.watchPort).u32(b.watchGroup).zeros(4)
      encodeActions(w, b.actions)
      w.setU16(start, w.length - start)
    }
  },
  decode(r) {
    const command = r.u16('command')
    const groupType = r.u8()
    r.skip(1)
    const groupId = r.u32()
    const buckets: Bucket[] = []
    while (r.remaining > 0) buckets.push(decodeBucket(r))
    return { type: 'OFPT_GROUP_MOD', command, groupType, groupId, buckets }
  },
})

function decodeBucket(r: Reader): Bucket {
  const len = r.u16('bucket.len')
  if (len < OFP_BUCKET_LEN) throw new OfError('OF_BAD_LENGTH', `bucket len ${len}`)
  const b = r.sub(len - 2, 'bucket')
  const weight = b.u16()
  const watchPort = b.u32()
  const watchGroup = b.u32()
  b.skip(4)
  return { weight, watchPort, watchGroup, actions: decodeActions(b) }
}
