// An OFPT_ERROR the switch sent about one of our requests, as a readable Error:
//   "OFPET_BAD_MATCH/OFPBMC_BAD_PREREQ for OFPT_FLOW_MOD xid=0x12"
import { OFP_TYPE_NAMES } from './constants.js'
import { errorName } from './error-names.js'
import type { ErrorMsg } from './messages.js'
import { ONF_ET_BUNDLE_ADD_MESSAGE, ONF_ET_BUNDLE_CONTROL, ONF_EXPERIMENTER_ID, OFP_HEADER_LEN } from './constants.js'

export class OfpErrorReply extends Error {
  readonly errType: number
  readonly code: number
  readonly typeName: string
  readonly codeName: string
  readonly xid: number
  /** spec name of the request that failed, read from the data the switch echoed (A.4.4) */
  readonly requestType: string | undefined

  constructor(readonly msg: ErrorMsg) {
    const n = errorName(msg.errType, msg.code, msg.experimenter)
    const requestType = failedRequestType(msg.data)
    const xid = msg.xid ?? 0
    super(`${n.type}/${n.code}${requestType !== undefined ? ` for ${requestType}` : ''} xid=0x${xid.toString(16)}`)
    this.name = 'OfpErrorReply'
    this.errType = msg.errType
    this.code = msg.code
    this.typeName = n.type
    this.codeName = n.code
    this.xid = xid
    this.requestType = requestType
  }
}

function failedRequestType(data: Buffer): string | undefined {
  if (data.length < OFP_HEADER_LEN) return undefined
  const type = data.readUInt8(1)
  if (type === 4 && data.length >= 16 && data.readUInt32BE(8) === ONF_EXPERIMENTER_ID) {
    const expType = data.readUInt32BE(12)
    if (expType === ONF_ET_BUNDLE_CONTROL) return 'ONF_ET_BUNDLE_CONTROL'
    if (expType === ONF_ET_BUNDLE_ADD_MESSAGE) return 'ONF_ET_BUNDLE_ADD_MESSAGE'
  }
  return OFP_TYPE_NAMES.get(type)
}
