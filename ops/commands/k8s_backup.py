"""``commsec backup k8s`` and ``commsec backup k8s-restore --from PREFIX``."""

from __future__ import annotations

import argparse
from typing import Any

from ops.cli import Command
from ops.context import Context
from ops.report import Report, table


def _add_export_arguments(parser: argparse.ArgumentParser) -> None:
    from ops.kube import add_kube_arguments

    parser.add_argument(
        "--include-secrets",
        action="store_true",
        help="also store Secret values, envelope-encrypted with the stack's backup KMS key",
    )
    add_kube_arguments(parser)


def _add_restore_arguments(parser: argparse.ArgumentParser) -> None:
    from ops.kube import add_kube_arguments

    parser.add_argument(
        "--from", dest="source", required=True, metavar="PREFIX",
        help="the export: s3://BUCKET/kubernetes/TIMESTAMP/, kubernetes/TIMESTAMP or TIMESTAMP",
    )  # fmt: skip
    add_kube_arguments(parser)


def export(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import k8s_export as x
    from ops.kube import run_in_namespace, target_from_args

    outputs = ctx.outputs()
    target = target_from_args(args, ctx)
    # An export of a namespace that does not exist would be an empty, "successful" backup.
    objects = run_in_namespace(target, lambda kube: x.read_namespace(kube, target.namespace))
    plan = x.build_export(
        objects,
        namespace=target.namespace,
        bucket=outputs.backup_bucket_name,
        now=ctx.now(),
        kms=ctx.aws("kms"),
        key_arn=outputs.backup_kms_key_arn,
        include_secrets=args.include_secrets,
    )
    location = f"s3://{plan.bucket}/{plan.prefix}"
    counts = plan.manifest["counts"]
    if ctx.dry_run:
        keys = x.export_keys(plan)
        text = f"Dry run: would write {len(keys)} object(s) to {location}:\n" + "\n".join(keys)
        data = {"dry_run": True, "location": location, "keys": keys, "manifest": plan.manifest}
        return Report(title="backup k8s", data=data, text=text)
    ctx.confirm(f"export namespace {target.namespace} to {location}")
    keys = x.upload(ctx.aws("s3"), plan, outputs.backup_kms_key_arn)
    audit = ctx.record_audit(
        target=location,
        before=None,
        after={"prefix": plan.prefix, "objects": len(keys), "resources": counts},
        result="exported",
    )
    secrets_note = (
        "Secret values sealed with the backup KMS key"
        if plan.manifest["secrets"] == "sealed"
        else "Secrets: names and keys only (values not exported; --include-secrets seals them)"
    )
    text = "\n".join(
        [
            f"Exported namespace {target.namespace} to {location}",
            table(["KIND", "OBJECTS"], sorted(counts.items())),
            secrets_note,
            f"Restore with: commsec backup k8s-restore --from {location}",
        ]
    )
    data = {"dry_run": False, "location": location, "keys": keys, "manifest": plan.manifest}
    return Report(title="backup k8s", data=data, text=text, audit=audit)


def restore(args: argparse.Namespace, ctx: Context) -> Report:
    from ops import k8s_export as x
    from ops.kube import run_with, target_from_args

    outputs = ctx.outputs()
    bucket = outputs.backup_bucket_name
    prefix = x.parse_prefix(args.source, bucket)
    manifest, files = x.fetch_verified(ctx.aws("s3"), bucket, prefix)
    target = target_from_args(args, ctx)
    namespace = target.namespace
    objects, names_only = x.objects_to_apply(manifest, files, ctx.aws("kms"))
    names = [f"{o['kind']}/{o['metadata']['name']}" for o in objects]
    warnings = [
        f"Secret {s['name']} (keys {', '.join(s['keys']) or '-'}) was exported without its "
        "values: re-create it from its source of truth"
        for s in names_only
    ]
    summary = (
        f"server-side apply {len(objects)} object(s) from s3://{bucket}/{prefix} "
        f"into namespace {namespace}"
    )
    data: dict[str, Any] = {"source": f"s3://{bucket}/{prefix}", "namespace": namespace}
    if ctx.dry_run:
        data.update(dry_run=True, objects=names)
        text = f"Dry run: checksums verified; would {summary}:\n" + "\n".join(names)
        return Report(title="backup k8s-restore", data=data, text=text, warnings=warnings)
    ctx.confirm(summary)
    applied = run_with(target, lambda kube: x.apply_objects(kube, objects, namespace))
    audit = ctx.record_audit(
        target=f"namespace/{namespace}",
        before=None,
        after={"applied": applied, "from": f"s3://{bucket}/{prefix}"},
        result="applied",
    )
    data.update(dry_run=False, applied=applied)
    text = f"Applied {len(applied)} object(s) into {namespace} from s3://{bucket}/{prefix}"
    return Report(title="backup k8s-restore", data=data, text=text, audit=audit, warnings=warnings)


COMMANDS = {
    "k8s": Command(_add_export_arguments, export, mutating=True),
    "k8s-restore": Command(_add_restore_arguments, restore, mutating=True),
}
