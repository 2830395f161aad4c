// The OVSDB layer of the agent: what other modules import.
//
//   const db = new OvsdbClient({ target: 'unix:/var/run/openvswitch/db.sock' })
//   await db.connect()
//   const vs = new Vswitch(db, { bridge: 'br-int', controller: 'unix:/run/dragonflow/of.sock' })
//   await vs.ensureBridge()
//   await vs.ensureTunnelPort('vxlan0', { type: 'vxlan' })
//   vs.on('port-added', (p: LocalPort) => { ... })   // p.ifaceId, p.ofport
//   await vs.follow()
export {
  OvsdbClient,
  type OvsdbClientOptions,
  type TableUpdates,
  type TableUpdates2,
  type MonitorRequest,
  type MonitorCondRequest,
} from './client.js'
export { Vswitch, OPEN_VSWITCH_DB, INSTALLED_ID, type LocalPort, type VswitchOptions, type TunnelPortOptions } from './vswitch.js'
export { ensurePatchPorts, removeStalePatchPorts, patchPortNames, MissingBridgeError, PHYSNET_ID, type PatchPair } from './patch-ports.js'
export * from './data.js'
export * from './operations.js'
export { OvsdbError, OVSDB_ERROR_CODES, type OvsdbErrorCode } from './errors.js'
export { JsonFramer } from './framer.js'
