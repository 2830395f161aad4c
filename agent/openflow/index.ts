// The OpenFlow 1.3 layer of the agent: what other modules import.
//
//   const ctl = new OfController({ echoIntervalMs: 5000 })
//   await ctl.listen({ path: '/run/dragonflow/of.sock' })        // ovs-vsctl set-controller br-int unix:<path>
//   const sw = await ctl.nextSwitch()                            // HELLO + FEATURES done; sw.datapathId
//   const errors = await sw.sendWithBarrier([flowAdd({ ... })])  // [] when every FLOW_MOD was accepted
//   await sw.bundle([flowAdd(...), flowDeleteStrict(...)])       // all or nothing (ONF bundles)
//   sw.on('packet-in', (m: PacketIn) => { ... })
export * from './constants.js'
export { encodeMessage, decodeMessage, decodeHeader, type OfpHeader } from './codec.js'
export type * from './messages.js'
export { oxm, oxmValue, matchGet, OXM_FIELDS, type Oxm, type OxmValue } from './oxm.js'
export type { Action } from './actions.js'
export { NX_CT_F_COMMIT, NX_CT_RECIRC_NONE, NX_NAT_F_SRC, NX_NAT_RANGE_IPV4_MIN } from './actions.js'
export type { Instruction } from './instructions.js'
export type { OfpPort } from './port.js'
export {
  flowMod,
  flowAdd,
  flowModify,
  flowDeleteStrict,
  flowDeleteByCookie,
  OFP_DEFAULT_PRIORITY,
  type FlowModOptions,
} from './messages/flow-mod.js'
export { packetOut } from './messages/packet-out.js'
export { OfConnection, type OfConnectionOptions, type OfStats } from './connection.js'
export { OfController, type ListenTarget } from './controller.js'
export { OfError, OF_ERROR_CODES, type OfErrorCode } from './errors.js'
export { OfpErrorReply } from './error-reply.js'
export { errorName } from './error-names.js'
