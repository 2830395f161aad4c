// Which Policy an API server enforces. The composition root (cli/commands/api.ts, serve.ts) loads
// --policy-file once at start and installs it for the process; a server can also be given its own
// (attachPolicy, for several servers in one test process). Without either: Neutron's defaults.
import type { Neutron } from '../neutron.js'
import { Policy } from './engine.js'

let processPolicy: Policy | undefined
let defaults: Policy | undefined
const perServer = new WeakMap<Neutron, Policy>()

export function installPolicy(p: Policy): void {
  processPolicy = p
}

export function attachPolicy(nb: Neutron, p: Policy): void {
  perServer.set(nb, p)
}

export function policyFor(nb: Neutron): Policy {
  return perServer.get(nb) ?? processPolicy ?? (defaults ??= Policy.create())
}
