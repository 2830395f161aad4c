// struct ofp_port (7.2.1): a port description, in PORT_STATUS and OFPMP_PORT_DESC replies. 64 bytes.
import { MacAddress } from '../../datapath/host/addresses.js'
import { Reader, Writer } from './bytes.js'

export const OFP_PORT_LEN = 64
export const OFP_MAX_PORT_NAME_LEN = 16

export interface OfpPort {
  portNo: number
  hwAddr: string
  name: string
  config: number
  state: number
  curr: number
  advertised: number
  supported: number
  peer: number
  currSpeed: number
  maxSpeed: number
}

export function decodePort(r: Reader): OfpPort {
  const portNo = r.u32('port_no')
  r.skip(4)
  const hwAddr = MacAddress.fromBytes(r.bytes(6, 'hw_addr')).toString()
  r.skip(2)
  const raw = r.bytes(OFP_MAX_PORT_NAME_LEN, 'name')
  const nul = raw.indexOf(0)
  const name = raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8')
  return {
    portNo,
    hwAddr,
    name,
    config: r.u32(),
    state: r.u32(),
    curr: r.u32(),
    advertised: r.u32(),
    supported: r.u32(),
    peer: r.u32(),
    currSpeed: r.u32(),
    maxSpeed: r.u32(),
  }
}

export function encodePort(w: Writer, p: OfpPort): void {
  const name = Buffer.alloc(OFP_MAX_PORT_NAME_LEN)
  name.write(p.name.slice(0, OFP_MAX_PORT_NAME_LEN - 1), 'utf8')
  w.u32(p.portNo)
    .zeros(4)
    .bytes(Buffer.from(MacAddress.parse(p.hwAddr).bytes))
    .zeros(2)
    .bytes(name)
    .u32(p.config)
    .u32(p.state)
    .u32(p.curr)
    .u32(p.advertised)
    .u32(p.supported)
    .u32(p.peer)
    .u32(p.currSpeed)
    .u32(p.maxSpeed)
}
