"""The ``commsec`` namespace: Deployments, Services, autoscalers, disruption budgets.

Target groups reach the pods through the AWS Load Balancer Controller's TargetGroupBinding
with ``ip`` targets: the ALBs send traffic straight to pod IPs in the pod's own AZ, health
checks see each pod's readiness, and nothing depends on the node groups' Auto Scaling
group names (which EKS generates and only knows after the node groups exist).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.cluster import TIER_LABEL
from infra.contract import CLUSTER_NAME, DEPLOYMENTS, HPAS, NAMESPACE
from infra.settings import Settings, WorkloadSettings
from infra.tags import tags

LB_CONTROLLER_CHART_VERSION = "1.13.4"
LB_CONTROLLER_SA = "aws-load-balancer-controller"
SERVICE_ACCOUNT_SUBJECT = f"system:serviceaccount:kube-system:{LB_CONTROLLER_SA}"
RUN_AS = 10001
ZONE_KEY = "topology.kubernetes.io/zone"


@dataclass(frozen=True)
class App:
    """What each workload is, independent of the environment."""

    name: str
    tier: str  # the node group it runs on: "web" or "app"
    port: int
    health_path: str
    behind: str | None  # the ALB ("web" / "app") whose target group binds it


APPS = {
    "frontend": App("frontend", "web", 8080, "/healthz", "web"),
    "api-gateway": App("api-gateway", "app", 8080, "/api/health", "app"),
    # Spring Boot: actuator metrics (HikariCP) on 8080, health at /api/health.
    "trading-service": App("trading-service", "app", 8080, "/api/health", None),
}
assert tuple(APPS) == DEPLOYMENTS


@dataclass
class WorkloadsArgs:
    settings: Settings
    kubeconfig: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    # ALB label -> target group ARN.
    target_group_arns: dict[str, pulumi.Input[str]]


class Workloads(pulumi.ComponentResource):
    def __init__(self, name: str, args: WorkloadsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("commsec:workloads:Workloads", name, None, opts)
        s = args.settings
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=args.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._k8s = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self._prefix = name

        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=NAMESPACE,
                labels={
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                },
            ),
            opts=self._k8s,
        )
        controller = self._load_balancer_controller(name, s, args)
        for app in APPS.values():
            self._workload(app, s.workloads[app.name])
        for hpa, target in HPAS.items():
            self._autoscaler(hpa, APPS[target], s.workloads[target])
        for app in APPS.values():
            if app.behind:
                self._binding(app, args.target_group_arns[app.behind], controller)
        self.namespace_name = self.namespace.metadata.apply(lambda m: m.name)
        self.register_outputs({"namespace": self.namespace_name})

    # --- pieces ------------------------------------------------------------------------------

    def _meta(self, name: str, app: App) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(
            name=name,
            namespace=NAMESPACE,
            labels={"app": app.name, "tier": "frontend" if app.tier == "web" else "backend"},
        )

    def _opts(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(
            self._k8s, pulumi.ResourceOptions(depends_on=[self.namespace])
        )

    def _workload(self, app: App, spec: WorkloadSettings) -> None:
        selector = {"app": app.name}
        probe = k8s.core.v1.HTTPGetActionArgs(path=app.health_path, port=app.port)
        container = k8s.core.v1.ContainerArgs(
            name=app.name,
            image=spec.image,
            image_pull_policy="IfNotPresent",
            ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=app.port)],
            readiness_probe=k8s.core.v1.ProbeArgs(
                http_get=probe, initial_delay_seconds=5, period_seconds=5, failure_threshold=3
            ),
            liveness_probe=k8s.core.v1.ProbeArgs(
                http_get=probe, initial_delay_seconds=30, period_seconds=10, failure_threshold=3
            ),
            resources=k8s.core.v1.ResourceRequirementsArgs(
                requests={"cpu": spec.cpu_request, "memory": spec.memory_request},
                limits={"cpu": spec.cpu_limit, "memory": spec.memory_limit},
            ),
            security_context=k8s.core.v1.SecurityContextArgs(
                allow_privilege_escalation=False,
                read_only_root_filesystem=True,
                run_as_non_root=True,
                run_as_user=RUN_AS,
                capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
            ),
            volume_mounts=[k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp")],
        )
        k8s.apps.v1.Deployment(
            f"{self._prefix}-{app.name}",
            metadata=self._meta(app.name, app),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                # NOTE: no replicas field: the HorizontalPodAutoscaler owns the count, and a
                # value here would reset it on every update.
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                strategy=k8s.apps.v1.DeploymentStrategyArgs(
                    type="RollingUpdate",
                    rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(
                        max_surge="25%", max_unavailable=0
                    ),
                ),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=self._meta(app.name, app).labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        automount_service_account_token=False,
                        node_selector={TIER_LABEL: app.tier},
                        security_context=k8s.core.v1.PodSecurityContextArgs(
                            run_as_non_root=True,
                            run_as_user=RUN_AS,
                            run_as_group=RUN_AS,
                            fs_group=RUN_AS,
                            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                        ),
                        topology_spread_constraints=[
                            k8s.core.v1.TopologySpreadConstraintArgs(
                                max_skew=1,
                                topology_key=ZONE_KEY,
                                when_unsatisfiable="DoNotSchedule",
                                label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                            ),
                            k8s.core.v1.TopologySpreadConstraintArgs(
                                max_skew=1,
                                topology_key="kubernetes.io/hostname",
                                when_unsatisfiable="ScheduleAnyway",
                                label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                            ),
                        ],
                        containers=[container],
                        volumes=[
                            k8s.core.v1.VolumeArgs(
                                name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs()
                            )
                        ],
                    ),
                ),
            ),
            opts=self._opts(),
        )
        k8s.core.v1.Service(
            f"{self._prefix}-{app.name}-svc",
            metadata=self._meta(app.name, app),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=selector,
                ports=[k8s.core.v1.ServicePortArgs(name="http", port=80, target_port=app.port)],
            ),
            opts=self._opts(),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{self._prefix}-{app.name}-pdb",
            metadata=self._meta(f"{app.name}-pdb", app),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
            ),
            opts=self._opts(),
        )

    def _autoscaler(self, name: str, app: App, spec: WorkloadSettings) -> None:
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{self._prefix}-{name}",
            metadata=self._meta(name, app),
            spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
                scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                    api_version="apps/v1", kind="Deployment", name=app.name
                ),
                min_replicas=spec.min_replicas,
                max_replicas=spec.max_replicas,
                metrics=[
                    k8s.autoscaling.v2.MetricSpecArgs(
                        type="Resource",
                        resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
                            name="cpu",
                            target=k8s.autoscaling.v2.MetricTargetArgs(
                                type="Utilization", average_utilization=70
                            ),
                        ),
                    )
                ],
                # Traffic triples at the 10:00 open: scale up at once, down slowly.
                behavior=k8s.autoscaling.v2.HorizontalPodAutoscalerBehaviorArgs(
                    scale_up=k8s.autoscaling.v2.HPAScalingRulesArgs(
                        stabilization_window_seconds=0,
                        policies=[
                            k8s.autoscaling.v2.HPAScalingPolicyArgs(
                                type="Percent", value=100, period_seconds=15
                            )
                        ],
                    ),
                    scale_down=k8s.autoscaling.v2.HPAScalingRulesArgs(
                        stabilization_window_seconds=300
                    ),
                ),
            ),
            opts=self._opts(),
        )

    def _binding(
        self, app: App, target_group_arn: pulumi.Input[str], controller: pulumi.Resource
    ) -> None:
        k8s.apiextensions.CustomResource(
            f"{self._prefix}-{app.name}-tgb",
            api_version="elbv2.k8s.aws/v1beta1",
            kind="TargetGroupBinding",
            metadata=self._meta(app.name, app),
            spec={
                "serviceRef": {"name": app.name, "port": 80},
                "targetGroupARN": target_group_arn,
                "targetType": "ip",
            },
            opts=pulumi.ResourceOptions.merge(
                self._k8s, pulumi.ResourceOptions(depends_on=[self.namespace, controller])
            ),
        )

    def _load_balancer_controller(
        self, name: str, s: Settings, args: WorkloadsArgs
    ) -> pulumi.Resource:
        """The controller registers pod IPs into the target groups (IRSA, least privilege)."""
        child = pulumi.ResourceOptions(parent=self)
        trust = pulumi.Output.all(args.oidc_provider_arn, args.oidc_provider_url).apply(
            lambda v: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Federated": v[0]},
                            "Action": "sts:AssumeRoleWithWebIdentity",
                            "Condition": {
                                "StringEquals": {
                                    f"{v[1]}:sub": SERVICE_ACCOUNT_SUBJECT,
                                    f"{v[1]}:aud": "sts.amazonaws.com",
                                }
                            },
                        }
                    ],
                }
            )
        )
        role = aws.iam.Role(
            f"{name}-lb-controller-role",
            assume_role_policy=trust,
            tags=tags(s, f"{name}-lb-controller-role"),
            opts=child,
        )
        # Only what TargetGroupBinding needs: the controller creates no load balancers here.
        aws.iam.RolePolicy(
            f"{name}-lb-controller-policy",
            role=role.id,
            policy=pulumi.Output.all(*args.target_group_arns.values()).apply(
                lambda arns: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "elasticloadbalancing:Describe*",
                                    "ec2:DescribeInstances",
                                    "ec2:DescribeNetworkInterfaces",
                                    "ec2:DescribeSecurityGroups",
                                    "ec2:DescribeSubnets",
                                    "ec2:DescribeVpcs",
                                    "ec2:DescribeAvailabilityZones",
                                ],
                                "Resource": "*",
                            },
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "elasticloadbalancing:RegisterTargets",
                                    "elasticloadbalancing:DeregisterTargets",
                                ],
                                "Resource": list(arns),
                            },
                        ],
                    }
                )
            ),
            opts=child,
        )
        return k8s.helm.v3.Release(
            f"{name}-lb-controller",
            name="aws-load-balancer-controller",
            chart="aws-load-balancer-controller",
            version=LB_CONTROLLER_CHART_VERSION,
            namespace="kube-system",
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://aws.github.io/eks-charts"),
            values={
                "clusterName": CLUSTER_NAME,
                "region": s.region,
                "vpcId": args.vpc_id,
                "replicaCount": 2,
                "enableBackendSecurityGroup": False,
                "serviceAccount": {
                    "create": True,
                    "name": LB_CONTROLLER_SA,
                    "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                },
            },
            opts=self._k8s,
        )
