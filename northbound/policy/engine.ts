// The policy engine: named rules (Neutron's defaults with an operator's overrides merged over them), evaluated
// against a target (the object acted on, with the parents that owner checks name) and the caller's
// credentials. Request checks are built as Neutron's policy.py builds them: `rule:<action>` and, for each
// attribute the request sets explicitly, `rule:<action>:<attribute>`, and for the keys of dict or list-of-dict
// values `rule:<action>:<attribute>:<key>` (create_port:fixed_ips:ip_address).
import { DEFAULT_RULES } from './defaults.js'
import { type Check, PolicySyntaxError, formatCheck, parseRule, referencedRules } from './syntax.js'

export interface Credentials {
  projectId: string
  userId: string
  /** lower-case, implied roles included (credentials.ts) */
  roles: ReadonlySet<string>
}

/** What a check looks at: the object's attributes and its parents (the port's network, the rule's group). */
export interface Target {
  object: Record<string, unknown>
  parents: Partial<Record<TargetParent, Record<string, unknown>>>
}

/** Parents an owner check may name (`%(network:project_id)s`), found through the object's foreign key. */
export const TARGET_PARENTS = { network: 'network_id', security_group: 'security_group_id' } as const
export type TargetParent = keyof typeof TARGET_PARENTS

export interface RuleOverride {
  name: string
  check: string
  /** where it came from, for errors and `policy list` (file:line) */
  origin?: string
}

export interface EffectiveRule {
  name: string
  check: string
  source: 'default' | 'override' | 'custom'
  origin?: string
}

/** A rule that cannot be used: bad syntax, a reference to no rule, a cycle. Names the rule and its origin. */
export class PolicyError extends Error {
  constructor(
    readonly rule: string,
    readonly origin: string | undefined,
    reason: string,
  ) {
    super(`${origin ? `${origin}: ` : ''}rule '${rule}': ${reason}`)
    this.name = 'PolicyError'
  }
}

interface Compiled {
  text: string
  check: Check
  source: EffectiveRule['source']
  origin?: string | undefined
}

/** oslo.policy's default_rule: asked for a name it does not know, the enforcer uses this one. */
const DEFAULT_RULE = 'default'

export class Policy {
  private readonly rules = new Map<string, Compiled>()

  private constructor() {}

  /** Neutron's defaults with `overrides` merged over them (an override replaces the default of its name). */
  static create(overrides: RuleOverride[] = []): Policy {
    const p = new Policy()
    for (const d of DEFAULT_RULES) p.rules.set(d.name, { text: d.check, check: parseRule(d.check), source: 'default' })
    for (const o of overrides) {
      let check: Check
      try {
        check = parseRule(o.check)
      } catch (err) {
        if (err instanceof PolicySyntaxError) throw new PolicyError(o.name, o.origin, err.reason)
        throw err
      }
      checkTargets(check, o)
      const source = p.rules.get(o.name)?.source === 'default' ? 'override' : 'custom'
      p.rules.set(o.name, { text: o.check, check, source, origin: o.origin })
    }
    p.validate()
    return p
  }

  /** Every rule refers only to defined rules, and no rule reaches itself. */
  private validate(): void {
    for (const [name, r] of this.rules) {
      for (const ref of referencedRules(r.check)) {
        if (!this.rules.has(ref)) throw new PolicyError(name, r.origin, `refers to rule '${ref}', which is not defined`)
      }
    }
    const done = new Set<string>()
    const visit = (name: string, path: string[]): void => {
      if (done.has(name)) return
      if (path.includes(name)) {
        const r = this.rules.get(path[0] as string)
        throw new PolicyError(path[0] as string, r?.origin, `rules refer to each other in a cycle: ${[...path, name].join(' -> ')}`)
      }
      for (const ref of referencedRules((this.rules.get(name) as Compiled).check)) visit(ref, [...path, name])
      done.add(name)
    }
    for (const name of this.rules.keys()) visit(name, [])
  }

  has(name: string): boolean {
    return this.rules.has(name)
  }

  /** The effective rules, in table order (defaults first, then rules only the operator defined). */
  list(): EffectiveRule[] {
    return [...this.rules].map(([name, r]) => ({ name, check: r.text, source: r.source, ...(r.origin ? { origin: r.origin } : {}) }))
  }

  /** Whether the named rule (or `default`, for a name that is not defined) allows it. */
  allows(name: string, target: Target, creds: Credentials): boolean {
    return this.evaluate({ kind: 'rule', name }, target, creds)
  }

  /**
   * Neutron's request check for `action`: the action's rule and the rule of every attribute set explicitly.
   * Returns undefined when allowed, or the check that refused, in oslo.policy's text (the 403's message).
   */
  enforce(action: string, target: Target, creds: Credentials, explicit: Record<string, unknown> = {}): string | undefined {
    const match = this.requestCheck(action, explicit)
    return this.evaluate(match, target, creds) ? undefined : formatCheck(match)
  }

  /** The check Neutron's _build_match_rule makes; attribute rules only where a rule of that name exists. */
  requestCheck(action: string, explicit: Record<string, unknown>): Check {
    let match: Check = { kind: 'rule', name: action }
    for (const [attr, value] of Object.entries(explicit)) {
      const name = `${action}:${attr}`
      if (!this.rules.has(name)) continue
      let attrRule: Check = { kind: 'rule', name }
      const subs = subKeys(value)
        .map(k => `${name}:${k}`)
        .filter(n => this.rules.has(n))
      if (subs.length) {
        const sub: Check =
          subs.length === 1
            ? { kind: 'rule', name: subs[0] as string }
            : { kind: 'and', checks: subs.map(n => ({ kind: 'rule', name: n })) }
        attrRule = { kind: 'and', checks: [attrRule, sub] }
      }
      match = { kind: 'and', checks: [match, attrRule] }
    }
    return match
  }

  private evaluate(c: Check, target: Target, creds: Credentials): boolean {
    switch (c.kind) {
      case 'true':
        return true
      case 'false':
        return false
      case 'rule': {
        const r = this.rules.get(c.name) ?? this.rules.get(DEFAULT_RULE)
        return r !== undefined && this.evaluate(r.check, target, creds)
      }
      case 'role':
        return creds.roles.has(c.role)
      case 'generic': {
        const mine = c.cred === 'project_id' ? creds.projectId : creds.userId
        const want = 'literal' in c.match ? c.match.literal : resolvePath(target, c.match.target)
        return scalarText(want) === mine
      }
      case 'field':
        return fieldMatches(c, target)
      case 'not':
        return !this.evaluate(c.check, target, creds)
      case 'and':
        return c.checks.every(x => this.evaluate(x, target, creds))
      case 'or':
        return c.checks.some(x => this.evaluate(x, target, creds))
    }
  }
}

/** Keys of a dict value or of the dicts of a list value: the sub-attributes a request sets. */
function subKeys(value: unknown): string[] {
  const dicts: unknown[] = Array.isArray(value) ? value : [value]
  const keys = new Set<string>()
  for (const d of dicts) if (typeof d === 'object' && d !== null && !Array.isArray(d)) for (const k of Object.keys(d)) keys.add(k)
  return [...keys]
}

/** An override's %(parent:field)s names a parent this engine resolves (refused at load, not at request time). */
function checkTargets(c: Check, o: RuleOverride): void {
  if (c.kind === 'generic' && 'target' in c.match) {
    const colon = c.match.target.indexOf(':')
    if (colon > 0) {
      const parent = c.match.target.slice(0, colon)
      if (!(parent in TARGET_PARENTS)) {
        throw new PolicyError(
          o.name,
          o.origin,
          `'${c.text}': unknown parent '${parent}' (known: ${Object.keys(TARGET_PARENTS).join(', ')})`,
        )
      }
    }
  } else if (c.kind === 'not') checkTargets(c.check, o)
  else if (c.kind === 'and' || c.kind === 'or') for (const x of c.checks) checkTargets(x, o)
}

/** `project_id`, `network:project_id` (tenant_id is the old name of project_id, as in Neutron). */
function resolvePath(target: Target, path: string): unknown {
  const field = (f: string): string => (f === 'tenant_id' ? 'project_id' : f)
  const colon = path.indexOf(':')
  if (colon < 0) return target.object[field(path)]
  const parent = target.parents[path.slice(0, colon) as TargetParent]
  return parent?.[field(path.slice(colon + 1))]
}

/**
 * field:RESOURCE:FIELD=VALUE compares the target's attribute; `networks` fields missing from the target are read
 * from its network (Neutron's FieldCheck does this for `shared`: a port on a shared network). Booleans compare
 * with True/False in any case; `=~` is a regular expression anchored at the start, as re.match.
 */
function fieldMatches(c: Extract<Check, { kind: 'field' }>, target: Target): boolean {
  let v = target.object[c.field]
  if (v === undefined && c.resource === 'networks') v = target.parents.network?.[c.field]
  if (v === undefined || v === null) return false
  if (c.regex) return typeof v === 'string' && c.regex.test(v)
  if (typeof v === 'boolean') return v === (c.value.toLowerCase() === 'true')
  return scalarText(v) === c.value
}

/** A scalar's text, as oslo.policy compares it; a dict or list matches no literal. */
function scalarText(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined
}
