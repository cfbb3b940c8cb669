"""Entry point the Pulumi CLI runs for ``--policy-pack policies``: it only builds the pack.

Every policy is mandatory unless the stack's policy config (``policies/config/STACK.json``,
passed with ``--policy-pack-config``) lowers a cost-only one outside production.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.rules import PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
