// oslo.policy's rule language, the subset Neutron's defaults and operators' policy.yaml files use:
//   check  := 'rule:' NAME | 'role:' NAME | 'field:' RESOURCE ':' FIELD '=' VALUE  ('=~' for a regex)
//           | CRED ':' ( '%(' TARGET_PATH ')s' | LITERAL )      CRED in project_id, tenant_id, user_id
//           | '@' (always) | '!' (never) | '' (empty: always)
//   expr   := or-expr;  or-expr := and-expr ('or' and-expr)*;  and-expr := not-expr ('and' not-expr)*
//   not-expr := 'not' not-expr | '(' expr ')' | check
// `not` binds tightest, then `and`, then `or`, as oslo.policy's parser reduces them. Keywords are
// case-insensitive; parentheses may touch their checks ("(rule:a or rule:b)").

export type Check =
  | { kind: 'true' }
  | { kind: 'false' }
  | { kind: 'rule'; name: string }
  | { kind: 'role'; role: string }
  | { kind: 'generic'; cred: 'project_id' | 'user_id'; match: { target: string } | { literal: string }; text: string }
  | { kind: 'field'; resource: string; field: string; value: string; regex?: RegExp | undefined; text: string }
  | { kind: 'not'; check: Check }
  | { kind: 'and'; checks: Check[] }
  | { kind: 'or'; checks: Check[] }

/** A rule text that does not parse; `reason` says where. */
export class PolicySyntaxError extends Error {
  constructor(readonly reason: string) {
    super(reason)
    this.name = 'PolicySyntaxError'
  }
}

const CREDS: Record<string, 'project_id' | 'user_id'> = { project_id: 'project_id', tenant_id: 'project_id', user_id: 'user_id' }

function tokenize(text: string): string[] {
  const out: string[] = []
  for (const word of text.split(/\s+/).filter(Boolean)) {
    // Leading and trailing parentheses are their own tokens, as oslo.policy strips them (so a check's own
    // text never ends in ')': %(name)s ends in 's').
    let w = word
    while (w.startsWith('(')) {
      out.push('(')
      w = w.slice(1)
    }
    const tail: string[] = []
    while (w.endsWith(')')) {
      tail.push(')')
      w = w.slice(0, -1)
    }
    if (w) out.push(w)
    out.push(...tail)
  }
  return out
}

function parseCheck(tok: string): Check {
  if (tok === '@') return { kind: 'true' }
  if (tok === '!') return { kind: 'false' }
  const colon = tok.indexOf(':')
  if (colon <= 0) throw new PolicySyntaxError(`'${tok}' is not a check (expected kind:match, @ or !)`)
  const kind = tok.slice(0, colon),
    match = tok.slice(colon + 1)
  if (!match) throw new PolicySyntaxError(`'${tok}' has nothing after '${kind}:'`)
  if (kind === 'rule') return { kind: 'rule', name: match }
  if (kind === 'role') return { kind: 'role', role: match.toLowerCase() }
  if (kind === 'field') {
    // field:networks:shared=True, field:port:device_owner=~^network:  (the field may hold a colon: router:external)
    const c = match.indexOf(':'),
      eq = match.indexOf('=')
    if (c <= 0 || eq < c + 2) throw new PolicySyntaxError(`'${tok}' is not field:RESOURCE:FIELD=VALUE`)
    const value = match.slice(eq + 1)
    let regex: RegExp | undefined
    if (value.startsWith('~')) {
      try {
        regex = new RegExp(`^(?:${value.slice(1)})`)
      } catch {
        throw new PolicySyntaxError(`'${tok}': bad regular expression`)
      }
    }
    return { kind: 'field', resource: match.slice(0, c), field: match.slice(c + 1, eq), value, regex, text: tok }
  }
  const cred = CREDS[kind]
  if (!cred)
    throw new PolicySyntaxError(`'${tok}': unsupported check kind '${kind}' (supported: rule, role, field, project_id, tenant_id, user_id)`)
  const m = /^%\(([^)]+)\)s$/.exec(match)
  if (match.includes('%(') && !m) throw new PolicySyntaxError(`'${tok}': a target reference is written %(name)s`)
  return { kind: 'generic', cred, match: m ? { target: m[1] as string } : { literal: match }, text: tok }
}

/** Parses one rule's check string. */
export function parseRule(text: string): Check {
  const toks = tokenize(text)
  if (toks.length === 0) return { kind: 'true' }
  let i = 0
  const peek = (): string | undefined => toks[i]
  const isWord = (t: string | undefined, w: string): boolean => t !== undefined && t.toLowerCase() === w
  function expr(): Check {
    const parts = [andExpr()]
    while (isWord(peek(), 'or')) {
      i++
      parts.push(andExpr())
    }
    return parts.length === 1 ? (parts[0] as Check) : { kind: 'or', checks: parts }
  }
  function andExpr(): Check {
    const parts = [notExpr()]
    while (isWord(peek(), 'and')) {
      i++
      parts.push(notExpr())
    }
    return parts.length === 1 ? (parts[0] as Check) : { kind: 'and', checks: parts }
  }
  function notExpr(): Check {
    const t = peek()
    if (t === undefined) throw new PolicySyntaxError('the rule ends where a check was expected')
    if (isWord(t, 'not')) {
      i++
      return { kind: 'not', check: notExpr() }
    }
    if (t === '(') {
      i++
      const inner = expr()
      if (peek() !== ')') throw new PolicySyntaxError(`missing ')'${peek() ? ` before '${peek()}'` : ''}`)
      i++
      return inner
    }
    if (t === ')' || isWord(t, 'and') || isWord(t, 'or')) throw new PolicySyntaxError(`unexpected '${t}'`)
    i++
    return parseCheck(t)
  }
  const out = expr()
  if (i < toks.length) throw new PolicySyntaxError(`unexpected '${toks[i]}' after a complete rule`)
  return out
}

/** oslo.policy's text of a check: `(a and b)`, `(a or b)`, `not a`. */
export function formatCheck(c: Check): string {
  switch (c.kind) {
    case 'true':
      return '@'
    case 'false':
      return '!'
    case 'rule':
      return `rule:${c.name}`
    case 'role':
      return `role:${c.role}`
    case 'generic':
    case 'field':
      return c.text
    case 'not':
      return `not ${formatCheck(c.check)}`
    case 'and':
      return `(${c.checks.map(formatCheck).join(' and ')})`
    case 'or':
      return `(${c.checks.map(formatCheck).join(' or ')})`
  }
}

/** The rules a check refers to (rule:NAME), for reference and cycle validation. */
export function referencedRules(c: Check): string[] {
  switch (c.kind) {
    case 'rule':
      return [c.name]
    case 'not':
      return referencedRules(c.check)
    case 'and':
    case 'or':
      return c.checks.flatMap(referencedRules)
    default:
      return []
  }
}
