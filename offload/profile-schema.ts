// The one definition of a hardware profile (hw-profiles/*.json): a TypeBox schema, from which both the
// validation and the TypeScript types of offload/profile.ts come. hw-profiles/schema.json (what editors read
// through each profile's "$schema") is generated from it: test/offload/profile.test.ts fails when the file is
// out of date and rewrites it only with UPDATE_SCHEMA=1.
import Type, { type Static } from 'typebox'
import { TUNNEL_TYPES } from '../model/tunnel-types.js'

const strict = { additionalProperties: false } as const

const Source = Type.String({ minLength: 1 })

const QUANTITY_TEXT =
  'A number with its source: exactly one of value (a public figure), measure (how our bench will set it) or unbounded (why there is no limit).'

/** A number with its source; `description` says what this one counts (each use gets its own schema object). */
function quantity(description = QUANTITY_TEXT) {
  return Type.Object(
    {
      value: Type.Optional(Type.Number({ minimum: 0 })),
      measure: Type.Optional(Type.String({ minLength: 1 })),
      unbounded: Type.Optional(Type.String({ minLength: 1 })),
      unit: Type.String({ minLength: 1 }),
      source: Source,
      conditions: Type.Optional(Type.String()),
    },
    {
      ...strict,
      description,
      // JSON Schema keeps "exactly one of" here; the static type cannot, so a Quantity has all three optional
      oneOf: [{ required: ['value'] }, { required: ['measure'] }, { required: ['unbounded'] }],
    },
  )
}

export const QuantitySchema = quantity()

export const TARGET_KINDS = ['software', 'ovs-openflow', 'tc-flower', 'doca-flow', 'rte-flow', 'p4'] as const
export const MATCH_FIELDS = [
  'in_port',
  'vlan_vid',
  'tun_id',
  'tun_dst',
  'eth_src',
  'eth_dst',
  'eth_type',
  'ipv4_src',
  'ipv4_dst',
  'ipv6_src',
  'ipv6_dst',
  'ip_proto',
  'ip_ttl',
  'l4_src',
  'l4_dst',
  'tcp_flags',
  'icmp_type',
  'arp_op',
  'arp_spa',
  'arp_tpa',
  'arp_sha',
  'arp_tha',
  'nd_target',
  'metadata',
  'ct_state',
  'ct_mark',
  'icmp_code',
] as const
export const ACTIONS = [
  'output',
  'drop',
  'multi_output',
  'mirror',
  'count',
  'meter',
  'push_vlan',
  'pop_vlan',
  'set_eth',
  'set_ipv4',
  'set_ipv6',
  'set_l4',
  'set_icmp',
  'set_arp',
  'set_nd',
  'dec_ttl',
  'set_metadata',
  'goto',
  'punt',
  'ct',
  'ct_nat',
] as const
export const CT_TO_SOFTWARE = ['new', 'tcp_syn', 'tcp_fin', 'tcp_rst', 'invalid', 'related', 'other_protocols', 'udp_one_way'] as const

const TableKindSchema = Type.Enum(['exact', 'ternary', 'lpm'])
const TunnelTypeSchema = Type.Enum([...TUNNEL_TYPES])
const uniqueList = <T extends Parameters<typeof Type.Array>[0]>(item: T, description?: string) =>
  Type.Array(item, { uniqueItems: true, ...(description !== undefined ? { description } : {}) })

export const TableClassSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    kinds: Type.Array(TableKindSchema, {
      minItems: 1,
      uniqueItems: true,
      description: 'Match kinds one table of this class can serve (a ternary table with priorities also serves LPM).',
    }),
    count: quantity('How many tables of this class exist.'),
    capacity: quantity('Entries per table, or for the whole class when shared.'),
    shared: Type.Boolean({ description: 'true: capacity is one pool for every table of the class.' }),
    keyBitsMax: Type.Optional(quantity()),
  },
  strict,
)

export const ConntrackSchema = Type.Object(
  {
    supported: Type.Boolean(),
    mode: Type.Enum(['datapath', 'established-offload', 'none']),
    protocols: Type.Optional(
      uniqueList(Type.Enum(['tcp', 'udp', 'icmp']), 'Protocols whose connections the target tracks (established-offload: holds).'),
    ),
    statesOffloaded: Type.Optional(uniqueList(Type.Enum(['new', 'established', 'related']))),
    key: Type.Optional(
      uniqueList(
        Type.Enum(['zone', 'ip_src', 'ip_dst', 'ip_proto', 'l4_src', 'l4_dst', 'icmp_id']),
        "Fields of a connection's key in the target's table.",
      ),
    ),
    sets: Type.Optional(
      uniqueList(
        Type.Enum(['state', 'mark', 'label', 'nat']),
        "What a hit in the target's connection table gives the packet (ct_state, ct_mark, ct_label, NAT).",
      ),
    ),
    toSoftware: Type.Optional(
      uniqueList(Type.Enum([...CT_TO_SOFTWARE]), 'established-offload: packets of stateful ports the target hands to the software path.'),
    ),
    tcpWindow: Type.Optional(
      Type.Enum(['checked', 'not-checked'], { description: 'Whether the target checks TCP sequence windows on the connections it holds.' }),
    ),
    nat: Type.Optional(Type.Boolean()),
    maxConnections: Type.Optional(quantity()),
    insertRate: Type.Optional(quantity()),
    source: Source,
  },
  {
    ...strict,
    description:
      "How the target tracks connections for stateful security groups (BEHAVIOUR.md 'Security groups'). datapath: the target's own datapath tracks every connection (OVS conntrack, the WASM pipeline); established-offload: the software path tracks, decides and commits, and the target holds the established connections pushed to it (mlx5 CT, OVS-DOCA CT); none: no connection tracking, traffic of stateful ports goes to software. offload/profile.ts refuses fields that contradict the mode.",
  },
)

export const ProfileSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', description: 'Equals the file name without .json.' }),
    kind: Type.Enum([...TARGET_KINDS], { description: 'Chooses the emitter; the planner never reads it.' }),
    summary: Type.String({ minLength: 1 }),
    datapath: Type.String({ minLength: 1, description: 'What actually forwards packets on this target.' }),
    tables: Type.Object(
      {
        lookupBudget: quantity('Dependent table lookups a packet may make in the target before it has to leave it (P4 stages, TC chains).'),
        classes: Type.Array(TableClassSchema, { minItems: 1 }),
      },
      strict,
    ),
    match: Type.Object({ fields: uniqueList(Type.Enum([...MATCH_FIELDS])), source: Source }, strict),
    actions: Type.Object(
      {
        supported: uniqueList(Type.Enum([...ACTIONS])),
        maxActionsPerEntry: quantity(),
        maxRewriteFields: Type.Optional(quantity()),
        source: Source,
      },
      strict,
    ),
    conntrack: ConntrackSchema,
    acl: Type.Optional(
      Type.Object(
        {
          maxFlows: Type.Optional(quantity('Security-group flows on the whole target, both directions.')),
          maxFlowsPerPort: Type.Optional(
            quantity("Flows one port's packets can meet in its ACL stages: its own plus those of its groups."),
          ),
          source: Source,
        },
        {
          ...strict,
          description:
            'Limits on security-group flows, counted as a conjunctive-match target lays them out (offload/rule-count.ts countAcl). A limit with a value refuses a rule set past it (the planner throws, dragonflow offload plan exits non-zero); measure / unbounded limits only inform.',
        },
      ),
    ),
    tunnels: Type.Object({ encap: uniqueList(TunnelTypeSchema), decap: uniqueList(TunnelTypeSchema), source: Source }, strict),
    punt: Type.Object(
      {
        via: Type.Enum(['action', 'miss', 'none'], {
          description:
            'action: a rule can send a packet to software (OpenFlow CONTROLLER, P4 CPU port); miss: only a table miss reaches software (TC: no userspace action); none: software is the datapath.',
        }),
        restoresState: uniqueList(Type.Enum(['chain', 'tunnel', 'ct', 'metadata'])),
        source: Source,
      },
      strict,
    ),
    insertRate: quantity('Rules installed per second.'),
    forwarding: Type.Object(
      {
        mpps64B: quantity('Headline forwarding rate at 64-byte frames.'),
        latencyUs: Type.Optional(quantity()),
      },
      strict,
    ),
    notes: Type.Optional(Type.Array(Type.String())),
  },
  {
    ...strict,
    $id: 'dragonflow-edge/hw-profiles/schema.json',
    title: 'Dragonflow Edge hardware profile',
    description:
      'What an offload target can do, as data (CONVENTIONS.md 4). Every number is a quantity object that cites its public source (HARDWARE-FACTS.md); where no public figure exists the quantity says how our bench will measure it instead of inventing one. Generated from offload/profile-schema.ts (TypeBox); offload/profile.ts adds the checks a schema cannot express.',
  },
)

export type Quantity = Static<typeof QuantitySchema>
export type TableClass = Static<typeof TableClassSchema>
export type Conntrack = Static<typeof ConntrackSchema>
export type Profile = Static<typeof ProfileSchema>

/** The text of hw-profiles/schema.json: the schema above as JSON Schema 2020-12. */
export function profileJsonSchema(): string {
  return JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...ProfileSchema }, null, 2) + '\n'
}
