// ls_in_ct, ls_in_acl, ls_out_ct, ls_out_acl: security groups (BEHAVIOUR.md "Security groups").
// Not enforced in OpenFlow yet: each table passes everything on (issue 10 in progress).
import { STAGE_IN_ACL, STAGE_IN_CT, STAGE_OUT_ACL, STAGE_OUT_CT } from '../../../datapath/spec/stages.js'
import type { Flow } from '../flow.js'
import type { Context } from './context.js'

export function aclFixedFlows(c: Context): Flow[] {
  return [STAGE_IN_CT, STAGE_IN_ACL, STAGE_OUT_CT, STAGE_OUT_ACL].map(stage =>
    c.flow(stage).priority('TABLE_MISS').cookie({ key: 0 }).goto(stage + 1).build())
}
