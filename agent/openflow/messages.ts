// The OpenFlow messages this codec knows, as one discriminated union on `type` (the spec's name).
// `xid` is optional when sending: the connection assigns one. Decoded messages always carry it.
import type { Action } from './actions.js'
import type { Instruction } from './instructions.js'
import type { Oxm } from './oxm.js'
import type { OfpPort } from './port.js'
import type { OfpTypeName, OnfBundleCtrlType } from './constants.js'

interface Base {
  xid?: number
}

export interface Hello extends Base {
  type: 'OFPT_HELLO'
  /** versions from the bitmap element (A.5.1) */ versions: number[]
}
export interface ErrorMsg extends Base {
  type: 'OFPT_ERROR'
  errType: number
  /** for OFPET_EXPERIMENTER: exp_type */
  code: number
  experimenter?: number
  /** at least 64 bytes of the request that failed (A.4.4) */
  data: Buffer
}
export interface EchoRequest extends Base {
  type: 'OFPT_ECHO_REQUEST'
  data: Buffer
}
export interface EchoReply extends Base {
  type: 'OFPT_ECHO_REPLY'
  data: Buffer
}
export interface FeaturesRequest extends Base {
  type: 'OFPT_FEATURES_REQUEST'
}
export interface FeaturesReply extends Base {
  type: 'OFPT_FEATURES_REPLY'
  datapathId: bigint
  nBuffers: number
  nTables: number
  auxiliaryId: number
  capabilities: number
}
export interface GetConfigRequest extends Base {
  type: 'OFPT_GET_CONFIG_REQUEST'
}
export interface GetConfigReply extends Base {
  type: 'OFPT_GET_CONFIG_REPLY'
  flags: number
  missSendLen: number
}
export interface SetConfig extends Base {
  type: 'OFPT_SET_CONFIG'
  flags: number
  missSendLen: number
}
export interface PacketIn extends Base {
  type: 'OFPT_PACKET_IN'
  bufferId: number
  totalLen: number
  reason: number
  tableId: number
  cookie: bigint
  match: Oxm[]
  data: Buffer
}
export interface PortStatus extends Base {
  type: 'OFPT_PORT_STATUS'
  reason: number
  port: OfpPort
}
export interface PacketOut extends Base {
  type: 'OFPT_PACKET_OUT'
  bufferId: number
  inPort: number
  actions: Action[]
  data: Buffer
}
export interface FlowMod extends Base {
  type: 'OFPT_FLOW_MOD'
  cookie: bigint
  cookieMask: bigint
  tableId: number
  command: number
  idleTimeout: number
  hardTimeout: number
  priority: number
  bufferId: number
  outPort: number
  outGroup: number
  flags: number
  match: Oxm[]
  instructions: Instruction[]
}
export interface Bucket {
  weight: number
  watchPort: number
  watchGroup: number
  actions: Action[]
}
export interface GroupMod extends Base {
  type: 'OFPT_GROUP_MOD'
  command: number
  groupType: number
  groupId: number
  buckets: Bucket[]
}
export interface BarrierRequest extends Base {
  type: 'OFPT_BARRIER_REQUEST'
}
export interface BarrierReply extends Base {
  type: 'OFPT_BARRIER_REPLY'
}

/** struct ofp_flow_stats_request (A.3.5.2) */
export interface FlowStatsRequest {
  tableId: number
  outPort: number
  outGroup: number
  cookie: bigint
  cookieMask: bigint
  match: Oxm[]
}
/** struct ofp_flow_stats (A.3.5.2) */
export interface FlowStats {
  tableId: number
  durationSec: number
  durationNsec: number
  priority: number
  idleTimeout: number
  hardTimeout: number
  flags: number
  cookie: bigint
  packetCount: bigint
  byteCount: bigint
  match: Oxm[]
  instructions: Instruction[]
}
export interface SwitchDesc {
  mfrDesc: string
  hwDesc: string
  swDesc: string
  serialNum: string
  dpDesc: string
}

export type MultipartRequestBody =
  | { mpType: 'OFPMP_DESC' }
  | ({ mpType: 'OFPMP_FLOW' } & FlowStatsRequest)
  | { mpType: 'OFPMP_PORT_DESC' }
  | { mpType: 'unknown'; code: number; body: Buffer }
export type MultipartReplyBody =
  | ({ mpType: 'OFPMP_DESC' } & SwitchDesc)
  | { mpType: 'OFPMP_FLOW'; flows: FlowStats[] }
  | { mpType: 'OFPMP_PORT_DESC'; ports: OfpPort[] }
  | { mpType: 'unknown'; code: number; body: Buffer }

export interface MultipartRequest extends Base {
  type: 'OFPT_MULTIPART_REQUEST'
  flags: number
  body: MultipartRequestBody
}
export interface MultipartReply extends Base {
  type: 'OFPT_MULTIPART_REPLY'
  flags: number
  body: MultipartReplyBody
}

/** ONF EXT-230 bundle control (onf_bundle_ctrl_msg) */
export interface BundleControl extends Base {
  type: 'ONF_ET_BUNDLE_CONTROL'
  bundleId: number
  ctrlType: OnfBundleCtrlType
  flags: number
}
/** ONF EXT-230 bundle add (onf_bundle_add_msg): the inner message's xid must equal the outer one */
export interface BundleAdd extends Base {
  type: 'ONF_ET_BUNDLE_ADD_MESSAGE'
  bundleId: number
  flags: number
  message: OfMessage
}
/** Any other experimenter message */
export interface Experimenter extends Base {
  type: 'OFPT_EXPERIMENTER'
  experimenter: number
  expType: number
  data: Buffer
}
/** A message type this codec recognises but does not decode (FLOW_REMOVED, ROLE_REPLY, ...): kept as bytes */
export interface RawMessage extends Base {
  type: 'raw'
  ofpType: number
  name: OfpTypeName
  body: Buffer
}

export type OfMessage =
  | Hello
  | ErrorMsg
  | EchoRequest
  | EchoReply
  | FeaturesRequest
  | FeaturesReply
  | GetConfigRequest
  | GetConfigReply
  | SetConfig
  | PacketIn
  | PortStatus
  | PacketOut
  | FlowMod
  | GroupMod
  | BarrierRequest
  | BarrierReply
  | MultipartRequest
  | MultipartReply
  | BundleControl
  | BundleAdd
  | Experimenter
  | RawMessage

export type OfMessageType = OfMessage['type']
export type MessageOf<T extends OfMessageType> = Extract<OfMessage, { type: T }>
