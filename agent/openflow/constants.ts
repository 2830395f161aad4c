// OpenFlow 1.3.5 constants, with the names of the spec's openflow.h (section numbers refer to the 1.3.5 spec),
// plus the two extensions OVS 3.1 speaks on 1.3: Nicira (NX_VENDOR_ID) and the ONF bundle extension (EXT-230).

export const OFP_VERSION = 0x04 // 1.3
export const OFP_HEADER_LEN = 8 // A.1 struct ofp_header
export const OFP_MAX_MESSAGE_LEN = 0xffff

// A.1 enum ofp_type
export const OFP_TYPES = {
  OFPT_HELLO: 0,
  OFPT_ERROR: 1,
  OFPT_ECHO_REQUEST: 2,
  OFPT_ECHO_REPLY: 3,
  OFPT_EXPERIMENTER: 4,
  OFPT_FEATURES_REQUEST: 5,
  OFPT_FEATURES_REPLY: 6,
  OFPT_GET_CONFIG_REQUEST: 7,
  OFPT_GET_CONFIG_REPLY: 8,
  OFPT_SET_CONFIG: 9,
  OFPT_PACKET_IN: 10,
  OFPT_FLOW_REMOVED: 11,
  OFPT_PORT_STATUS: 12,
  OFPT_PACKET_OUT: 13,
  OFPT_FLOW_MOD: 14,
  OFPT_GROUP_MOD: 15,
  OFPT_PORT_MOD: 16,
  OFPT_TABLE_MOD: 17,
  OFPT_MULTIPART_REQUEST: 18,
  OFPT_MULTIPART_REPLY: 19,
  OFPT_BARRIER_REQUEST: 20,
  OFPT_BARRIER_REPLY: 21,
  OFPT_QUEUE_GET_CONFIG_REQUEST: 22,
  OFPT_QUEUE_GET_CONFIG_REPLY: 23,
  OFPT_ROLE_REQUEST: 24,
  OFPT_ROLE_REPLY: 25,
  OFPT_GET_ASYNC_REQUEST: 26,
  OFPT_GET_ASYNC_REPLY: 27,
  OFPT_SET_ASYNC: 28,
  OFPT_METER_MOD: 29,
} as const
export type OfpTypeName = keyof typeof OFP_TYPES

/** type code -> spec name, for messages and logs */
export const OFP_TYPE_NAMES: ReadonlyMap<number, OfpTypeName> = new Map(Object.entries(OFP_TYPES).map(([k, v]) => [v, k as OfpTypeName]))

// A.5.1 hello elements
export const OFPHET_VERSIONBITMAP = 1

// A.2.1 port numbers
export const OFPP_MAX = 0xffffff00
export const OFPP_IN_PORT = 0xfffffff8
export const OFPP_TABLE = 0xfffffff9
export const OFPP_NORMAL = 0xfffffffa
export const OFPP_FLOOD = 0xfffffffb
export const OFPP_ALL = 0xfffffffc
export const OFPP_CONTROLLER = 0xfffffffd
export const OFPP_LOCAL = 0xfffffffe
export const OFPP_ANY = 0xffffffff

// A.2.5 controller max_len: send the whole packet
export const OFPCML_NO_BUFFER = 0xffff
export const OFP_NO_BUFFER = 0xffffffff

// A.3.2 switch config flags / miss_send_len
export const OFPC_FRAG_NORMAL = 0
export const OFPCML_MAX = 0xffe5

// A.3.4.1 flow mod
export const OFPFC_ADD = 0
export const OFPFC_MODIFY = 1
export const OFPFC_MODIFY_STRICT = 2
export const OFPFC_DELETE = 3
export const OFPFC_DELETE_STRICT = 4
export const OFPFF_SEND_FLOW_REM = 1 << 0
export const OFPFF_CHECK_OVERLAP = 1 << 1
export const OFPFF_RESET_COUNTS = 1 << 2
export const OFPFF_NO_PKT_COUNTS = 1 << 3
export const OFPFF_NO_BYT_COUNTS = 1 << 4
export const OFPTT_MAX = 0xfe
export const OFPTT_ALL = 0xff

// A.3.4.2 group mod
export const OFPGC_ADD = 0
export const OFPGC_MODIFY = 1
export const OFPGC_DELETE = 2
export const OFPGT_ALL = 0
export const OFPGT_SELECT = 1
export const OFPGT_INDIRECT = 2
export const OFPGT_FF = 3
export const OFPG_MAX = 0xffffff00
export const OFPG_ALL = 0xfffffffc
export const OFPG_ANY = 0xffffffff

// A.4.1 packet-in reasons
export const OFPR_NO_MATCH = 0
export const OFPR_ACTION = 1
export const OFPR_INVALID_TTL = 2

// A.4.3 port status reasons
export const OFPPR_ADD = 0
export const OFPPR_DELETE = 1
export const OFPPR_MODIFY = 2

// A.2.1 port config/state bits
export const OFPPC_PORT_DOWN = 1 << 0
export const OFPPS_LINK_DOWN = 1 << 0

// A.3.5 multipart
export const OFPMP_DESC = 0
export const OFPMP_FLOW = 1
export const OFPMP_AGGREGATE = 2
export const OFPMP_TABLE = 3
export const OFPMP_PORT_STATS = 4
export const OFPMP_GROUP_DESC = 7
export const OFPMP_PORT_DESC = 13
export const OFPMP_EXPERIMENTER = 0xffff
export const OFPMPF_REQ_MORE = 1
export const OFPMPF_REPLY_MORE = 1

// A.2.3.7 VLAN id with the present bit
export const OFPVID_PRESENT = 0x1000

// Extensions: Nicira (OVS) and ONF (bundles on 1.3, EXT-230)
export const NX_VENDOR_ID = 0x00002320
export const ONF_EXPERIMENTER_ID = 0x4f4e4600
export const ONF_ET_BUNDLE_CONTROL = 2300
export const ONF_ET_BUNDLE_ADD_MESSAGE = 2301

export const ONF_BUNDLE_CTRL_TYPES = {
  ONF_BCT_OPEN_REQUEST: 0,
  ONF_BCT_OPEN_REPLY: 1,
  ONF_BCT_CLOSE_REQUEST: 2,
  ONF_BCT_CLOSE_REPLY: 3,
  ONF_BCT_COMMIT_REQUEST: 4,
  ONF_BCT_COMMIT_REPLY: 5,
  ONF_BCT_DISCARD_REQUEST: 6,
  ONF_BCT_DISCARD_REPLY: 7,
} as const
export type OnfBundleCtrlType = keyof typeof ONF_BUNDLE_CTRL_TYPES
export const ONF_BF_ATOMIC = 1 << 0
export const ONF_BF_ORDERED = 1 << 1
