"""The RDS PostgreSQL instance: engine, resilience, backups, windows, encryption, access."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pulumi_policy import Policy, PolicyResource

from infra.contract import BACKUP_RETENTION_DAYS
from infra.market import parse_daily_window, parse_weekly_window, peak_conflicts
from policies.rules._base import (
    MISSING,
    Check,
    Config,
    Finding,
    Props,
    dig,
    is_false,
    is_true,
    items,
    must_be_true,
    number,
    of_type,
    resolve,
    resource_policy,
    stack_policy,
    text,
)

INSTANCE = "aws:rds/instance:Instance"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
ENGINE_MAJOR = "16"


def _engine(props: Props, _config: Config) -> str | None:
    engine = dig(props, "engine")
    if engine != "postgres":
        return f"engine is {text(engine)}; it must be 'postgres'"
    version = dig(props, "engineVersion")
    if not isinstance(version, str) or version.split(".")[0] != ENGINE_MAJOR:
        return f"engineVersion is {text(version)}; it must be PostgreSQL {ENGINE_MAJOR}"
    return None


def _no_fixed_az(props: Props, _config: Config) -> str | None:
    zone = dig(props, "availabilityZone")
    if zone is not MISSING and zone != "":
        return f"availabilityZone is pinned to {zone!r}; a Multi-AZ instance must not fix its AZ"
    return None


def _retention(props: Props, _config: Config) -> str | None:
    days = number(dig(props, "backupRetentionPeriod"))
    if days is None or days < BACKUP_RETENTION_DAYS:
        return (
            f"backupRetentionPeriod is {text(dig(props, 'backupRetentionPeriod'))}; "
            f"automated backups must be kept at least {BACKUP_RETENTION_DAYS} days"
        )
    return None


def _keep_automated_backups(props: Props, _config: Config) -> str | None:
    # AWS deletes automated backups with the instance unless told otherwise.
    if not is_false(dig(props, "deleteAutomatedBackups")):
        return (
            f"deleteAutomatedBackups is {text(dig(props, 'deleteAutomatedBackups'))}; "
            "it must be false so backups survive the instance"
        )
    return None


def _windows(props: Props, _config: Config) -> str | None:
    backup, maintenance = dig(props, "backupWindow"), dig(props, "maintenanceWindow")
    if not isinstance(backup, str) or not isinstance(maintenance, str):
        return (
            f"backupWindow is {text(backup)} and maintenanceWindow is {text(maintenance)}; "
            "both must be set explicitly (AWS otherwise picks a random, possibly peak, slot)"
        )
    try:
        backup_windows = parse_daily_window(backup)
        maintenance_windows = parse_weekly_window(maintenance)
    except ValueError as exc:
        return str(exc)
    problems = [f"backupWindow {c}" for c in peak_conflicts(backup_windows)]
    problems += [f"maintenanceWindow {c}" for c in peak_conflicts(maintenance_windows)]
    if any(b.overlaps(m) for b in backup_windows for m in maintenance_windows):
        problems.append(f"backupWindow {backup} overlaps maintenanceWindow {maintenance}")
    return "; ".join(problems) or None


def _encrypted(props: Props, _config: Config) -> str | None:
    if not is_true(dig(props, "storageEncrypted")):
        return f"storageEncrypted is {text(dig(props, 'storageEncrypted'))}; it must be true"
    key = dig(props, "kmsKeyId")
    if not isinstance(key, str) or not key or key.endswith("alias/aws/rds"):
        return f"kmsKeyId is {text(key)}; storage must use a customer-managed KMS key"
    return None


def _not_public(props: Props, _config: Config) -> str | None:
    if is_true(dig(props, "publiclyAccessible")):
        return "publiclyAccessible is true; the database must not be reachable from the internet"
    return None


def _deletion_protection(props: Props, _config: Config) -> str | None:
    problems = []
    if not is_true(dig(props, "deletionProtection")):
        problems.append(
            f"deletionProtection is {text(dig(props, 'deletionProtection'))}; it must be true"
        )
    snapshot = dig(props, "finalSnapshotIdentifier")
    if is_true(dig(props, "skipFinalSnapshot")) or not isinstance(snapshot, str) or not snapshot:
        problems.append("skipFinalSnapshot must be false with a finalSnapshotIdentifier set")
    return "; ".join(problems) or None


def _managed_password(props: Props, _config: Config) -> str | None:
    if dig(props, "password") is not MISSING:
        return "sets a literal master password; use manageMasterUserPassword instead"
    if not is_true(dig(props, "manageMasterUserPassword")):
        return "manageMasterUserPassword is not true; RDS must keep the password in Secrets Manager"
    return None


def _loads_pg_stat_statements(group: PolicyResource) -> bool:
    for parameter in items(dig(group.props, "parameters")):
        if dig(parameter, "name") == "shared_preload_libraries":
            value = dig(parameter, "value")
            libraries = value.split(",") if isinstance(value, str) else []
            return "pg_stat_statements" in (lib.strip() for lib in libraries)
    return False


def check_pg_stat_statements(
    resources: Sequence[PolicyResource], _config: Config
) -> Iterable[Finding]:
    groups = of_type(resources, PARAMETER_GROUP)
    for instance in of_type(resources, INSTANCE):
        reference = dig(instance.props, "parameterGroupName")
        if reference is MISSING:
            yield (
                f"{instance.name} uses the default parameter group, which does not load "
                "pg_stat_statements",
                instance.urn,
            )
            continue
        group = resolve(reference, groups, instance)
        if group is None:
            yield (
                f"{instance.name} uses parameter group {reference!r}, which is not part of "
                "this stack, so pg_stat_statements cannot be verified",
                instance.urn,
            )
        elif not _loads_pg_stat_statements(group):
            yield (
                f"parameter group {group.name} does not list pg_stat_statements in "
                "shared_preload_libraries",
                group.urn,
            )


def _rds(name: str, description: str, remediation: str, *checks: Check) -> Policy:
    return resource_policy(
        name=name, description=description, remediation=remediation, checks={INSTANCE: checks}
    )


POLICIES = [
    _rds(
        "rds-postgres-16",
        "The database runs PostgreSQL 16, the version the application and runbook queries use.",
        "Set engine='postgres' and engineVersion to a 16.x release.",
        _engine,
    ),
    _rds(
        "rds-multi-az",
        "The database is Multi-AZ with no fixed AZ, so RDS can fail over when one AZ is lost.",
        "Set multiAz=true and leave availabilityZone unset.",
        must_be_true("multiAz"),
        _no_fixed_az,
    ),
    _rds(
        "rds-backup-retention",
        f"Automated backups are kept {BACKUP_RETENTION_DAYS} days and survive the instance, "
        "so point-in-time restore covers the runbook's recovery period.",
        f"Set backupRetentionPeriod>={BACKUP_RETENTION_DAYS} and deleteAutomatedBackups=false.",
        _retention,
        _keep_automated_backups,
    ),
    _rds(
        "rds-windows-off-peak",
        "Backup and maintenance windows are set, off-peak for the ASX under both AEST and AEDT, "
        "and do not overlap, so no I/O freeze or reboot lands in trading hours.",
        "Derive both windows from infra.market so they avoid 07:00-17:00 Sydney in both offsets.",
        _windows,
    ),
    _rds(
        "rds-encrypted-cmk",
        "Storage is encrypted with a customer-managed KMS key that the platform controls.",
        "Set storageEncrypted=true and kmsKeyId to the platform's KMS key ARN.",
        _encrypted,
    ),
    _rds(
        "rds-not-public",
        "The database is never publicly accessible; only the app tier reaches it.",
        "Set publiclyAccessible=false.",
        _not_public,
    ),
    _rds(
        "rds-deletion-protection",
        "Deletion protection and a final snapshot guard the trading database against deletion.",
        "Set deletionProtection=true, skipFinalSnapshot=false and a finalSnapshotIdentifier.",
        _deletion_protection,
    ),
    _rds(
        "rds-managed-password",
        "No literal master password: RDS manages it in Secrets Manager, out of code and state.",
        "Remove password and set manageMasterUserPassword=true.",
        _managed_password,
    ),
    _rds(
        "rds-performance-insights",
        "Performance Insights is on, which the runbook's performance checks rely on.",
        "Set performanceInsightsEnabled=true.",
        must_be_true("performanceInsightsEnabled"),
    ),
    stack_policy(
        name="rds-pg-stat-statements",
        description=(
            "The instance's parameter group preloads pg_stat_statements, which the runbook's "
            "slow-query check reads."
        ),
        remediation=(
            "Give the instance a parameter group of this stack whose shared_preload_libraries "
            "includes pg_stat_statements."
        ),
        checks=[check_pg_stat_statements],
    ),
]
