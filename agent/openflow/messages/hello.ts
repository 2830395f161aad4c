// OFPT_HELLO (A.5.1) with the version bitmap element: bit n of bitmap word k = version 32k+n.
import { OFP_TYPES, OFPHET_VERSIONBITMAP } from '../constants.js'
import { OfError } from '../errors.js'
import { registerMessage } from '../registry.js'

export const OFP_HELLO_ELEM_HEADER_LEN = 4

registerMessage<'OFPT_HELLO'>({
  name: 'OFPT_HELLO',
  ofpType: OFP_TYPES.OFPT_HELLO,
  encode(w, m) {
    if (m.versions.length === 0) return
    const words = Math.floor(Math.max(...m.versions) / 32) + 1
    const bitmaps = new Array<number>(words).fill(0)
    for (const v of m.versions) bitmaps[v >> 5] = ((bitmaps[v >> 5] ?? 0) | (1 << (v & 31))) >>> 0
    const start = w.length
    w.u16(OFPHET_VERSIONBITMAP).u16(OFP_HELLO_ELEM_HEADER_LEN + 4 * words)
    for (const b of bitmaps) w.u32(b)
    w.align(8, start)
  },
  decode(r, h) {
    const versions: number[] = []
    while (r.remaining >= OFP_HELLO_ELEM_HEADER_LEN) {
      const type = r.u16('hello elem type')
      const len = r.u16('hello elem length')
      if (len < OFP_HELLO_ELEM_HEADER_LEN) throw new OfError('OF_BAD_LENGTH', `hello element length ${len}`)
      const e = r.sub(len - OFP_HELLO_ELEM_HEADER_LEN, 'hello element')
      r.skip(Math.min((8 - (len % 8)) % 8, r.remaining)) // elements are padded to 8
      if (type !== OFPHET_VERSIONBITMAP) continue
      for (let k = 0; e.remaining >= 4; k++) {
        const bits = e.u32()
        for (let n = 0; n < 32; n++) if ((bits >>> n) & 1) versions.push(32 * k + n)
      }
    }
    // No bitmap: the peer supports its header version only (6.3.1)
    return { type: 'OFPT_HELLO', versions: versions.length > 0 ? versions : [h.version] }
  },
})
