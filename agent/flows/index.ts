// Flows from the offload emitter onto a real switch: encoding (flow-encoder.ts), identity (flow-key.ts) and the
// desired-vs-installed sync with atomic bundles (flow-sync.ts).
export { encodeMatch, encodeActions, encodeInstructions, fieldTlvs, FlowEncodeError } from './flow-encoder.js'
export { matchKey, instructionsKey } from './flow-key.js'
export { FlowSync, toInstalled, type InstalledFlow, type ApplyStats } from './flow-sync.js'
