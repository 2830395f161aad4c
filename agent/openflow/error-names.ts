// A.4.4 error types and codes of OpenFlow 1.3.5, and the ONF bundle extension's experimenter errors
// (EXT-230; OVS 3.1 sends them on 1.3 as OFPET_EXPERIMENTER, experimenter ONF_EXPERIMENTER_ID, exp_type 2300+:
// checked with `ovs-ofctl print-error OFPBFC_MSG_FAILED`). Names are the spec's; unknown codes print as numbers.
import { ONF_EXPERIMENTER_ID } from './constants.js'

export const OFPET_EXPERIMENTER = 0xffff

const names = (prefix: string, list: string[]): string[] => list.map(n => `${prefix}_${n}`)

/** index = type code; each entry: the type's name and its codes in order */
export const OFP_ERROR_TYPES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['OFPET_HELLO_FAILED', names('OFPHFC', ['INCOMPATIBLE', 'EPERM'])],
  [
    'OFPET_BAD_REQUEST',
    names('OFPBRC', [
      'BAD_VERSION',
      'BAD_TYPE',
      'BAD_MULTIPART',
      'BAD_EXPERIMENTER',
      'BAD_EXP_TYPE',
      'EPERM',
      'BAD_LEN',
      'BUFFER_EMPTY',
      'BUFFER_UNKNOWN',
      'BAD_TABLE_ID',
      'IS_SLAVE',
      'BAD_PORT',
      'BAD_PACKET',
      'MULTIPART_BUFFER_OVERFLOW',
    ]),
  ],
  [
    'OFPET_BAD_ACTION',
    names('OFPBAC', [
      'BAD_TYPE',
      'BAD_LEN',
      'BAD_EXPERIMENTER',
      'BAD_EXP_TYPE',
      'BAD_OUT_PORT',
      'BAD_ARGUMENT',
      'EPERM',
      'TOO_MANY',
      'BAD_QUEUE',
      'BAD_OUT_GROUP',
      'MATCH_INCONSISTENT',
      'UNSUPPORTED_ORDER',
      'BAD_TAG',
      'BAD_SET_TYPE',
      'BAD_SET_LEN',
      'BAD_SET_ARGUMENT',
    ]),
  ],
  [
    'OFPET_BAD_INSTRUCTION',
    names('OFPBIC', [
      'UNKNOWN_INST',
      'UNSUP_INST',
      'BAD_TABLE_ID',
      'UNSUP_METADATA',
      'UNSUP_METADATA_MASK',
      'BAD_EXPERIMENTER',
      'BAD_EXP_TYPE',
      'BAD_LEN',
      'EPERM',
    ]),
  ],
  [
    'OFPET_BAD_MATCH',
    names('OFPBMC', [
      'BAD_TYPE',
      'BAD_LEN',
      'BAD_TAG',
      'BAD_DL_ADDR_MASK',
      'BAD_NW_ADDR_MASK',
      'BAD_WILDCARDS',
      'BAD_FIELD',
      'BAD_VALUE',
      'BAD_MASK',
      'BAD_PREREQ',
      'DUP_FIELD',
      'EPERM',
    ]),
  ],
  [
    'OFPET_FLOW_MOD_FAILED',
    names('OFPFMFC', ['UNKNOWN', 'TABLE_FULL', 'BAD_TABLE_ID', 'OVERLAP', 'EPERM', 'BAD_TIMEOUT', 'BAD_COMMAND', 'BAD_FLAGS']),
  ],
  [
    'OFPET_GROUP_MOD_FAILED',
    names('OFPGMFC', [
      'GROUP_EXISTS',
      'INVALID_GROUP',
      'WEIGHT_UNSUPPORTED',
      'OUT_OF_GROUPS',
      'OUT_OF_BUCKETS',
      'CHAINING_UNSUPPORTED',
      'WATCH_UNSUPPORTED',
      'LOOP',
      'UNKNOWN_GROUP',
      'CHAINED_GROUP',
      'BAD_TYPE',
      'BAD_COMMAND',
      'BAD_BUCKET',
      'BAD_WATCH',
      'EPERM',
    ]),
  ],
  ['OFPET_PORT_MOD_FAILED', names('OFPPMFC', ['BAD_PORT', 'BAD_HW_ADDR', 'BAD_CONFIG', 'BAD_ADVERTISE', 'EPERM'])],
  ['OFPET_TABLE_MOD_FAILED', names('OFPTMFC', ['BAD_TABLE', 'BAD_CONFIG', 'EPERM'])],
  ['OFPET_QUEUE_OP_FAILED', names('OFPQOFC', ['BAD_PORT', 'BAD_QUEUE', 'EPERM'])],
  ['OFPET_SWITCH_CONFIG_FAILED', names('OFPSCFC', ['BAD_FLAGS', 'BAD_LEN', 'EPERM'])],
  ['OFPET_ROLE_REQUEST_FAILED', names('OFPRRFC', ['STALE', 'UNSUP', 'BAD_ROLE'])],
  [
    'OFPET_METER_MOD_FAILED',
    names('OFPMMFC', [
      'UNKNOWN',
      'METER_EXISTS',
      'INVALID_METER',
      'UNKNOWN_METER',
      'BAD_COMMAND',
      'BAD_FLAGS',
      'BAD_RATE',
      'BAD_BURST',
      'BAD_BAND',
      'BAD_BAND_VALUE',
      'OUT_OF_METERS',
      'OUT_OF_BANDS',
    ]),
  ],
  ['OFPET_TABLE_FEATURES_FAILED', names('OFPTFFC', ['BAD_TABLE', 'BAD_METADATA', 'BAD_TYPE', 'BAD_LEN', 'BAD_ARGUMENT', 'EPERM'])],
]

/** ONF bundle errors on 1.3: exp_type 2300 + index (same order as OFPET_BUNDLE_FAILED in 1.4) */
const ONF_BUNDLE_ERRORS = names('ONFBFC', [
  'UNKNOWN',
  'EPERM',
  'BAD_ID',
  'BUNDLE_EXIST',
  'BUNDLE_CLOSED',
  'OUT_OF_BUNDLES',
  'BAD_TYPE',
  'BAD_FLAGS',
  'MSG_BAD_LEN',
  'MSG_BAD_XID',
  'MSG_UNSUP',
  'MSG_CONFLICT',
  'MSG_TOO_MANY',
  'MSG_FAILED',
  'TIMEOUT',
  'BUNDLE_IN_PROGRESS',
])
const ONF_BUNDLE_ERROR_BASE = 2300

export interface ErrorName {
  type: string
  code: string
}

/** Names for an error; for OFPET_EXPERIMENTER, `code` is the exp_type and `experimenter` the id. */
export function errorName(type: number, code: number, experimenter?: number): ErrorName {
  if (type === OFPET_EXPERIMENTER) {
    if (experimenter === ONF_EXPERIMENTER_ID) {
      const n = ONF_BUNDLE_ERRORS[code - ONF_BUNDLE_ERROR_BASE]
      if (n !== undefined) return { type: 'OFPET_EXPERIMENTER', code: n }
    }
    return { type: 'OFPET_EXPERIMENTER', code: `experimenter 0x${(experimenter ?? 0).toString(16)} exp_type ${code}` }
  }
  const t = OFP_ERROR_TYPES[type]
  if (t === undefined) return { type: `OFPET_${type}`, code: String(code) }
  return { type: t[0], code: t[1][code] ?? String(code) }
}
