// Flows from the offload emitter onto a real switch: encoding (flow-encoder.ts), identity (flow-key.ts), the
// incremental desired/installed table (desired-flows.ts) and the sync with atomic bundles (flow-sync.ts).
export { encodeMatch, encodeActions, encodeInstructions, fieldTlvs, FlowEncodeError } from './flow-encoder.js'
export { matchKey, instructionsKey } from './flow-key.js'
export { DesiredFlows, flowBody, decodeBody, digestBodies, type FlowChanges, type FlowOptions, type DesiredStats } from './desired-flows.js'
export { FlowSync, installedOf, type InstalledFlow, type ApplyStats } from './flow-sync.js'
