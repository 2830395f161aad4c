// <data-dir>/serve.json: where a running node keeps things (its API, OVS, OpenFlow socket, control socket).
// `dragonflow serve` writes it, `plug`, `flows` and `status` read it, and the benchmarks write one for the
// node they build so that those commands work against it too; declared here because cli/ is a leaf.

/** What `serve` writes to <data-dir>/serve.json. */
export interface ServeState {
  pid: number
  api: string
  /** the API's authentication: with keystone, `plug` needs credentials (cli/credentials.ts) */
  auth?: 'none' | 'keystone'
  ovsdb: string
  /** OVS_RUNDIR of the private OVS (absent when --ovsdb named an external one) */
  ovsRundir?: string
  /** namespace of ovs-vswitchd: bridge ends of workload veths go there; null = root namespace */
  netns: string | null
  ofSocket: string
  bridge: string
  chassisId: string
  /** the agent's control socket (control-server.ts) */
  control?: string
}

export const SERVE_STATE = 'serve.json'
