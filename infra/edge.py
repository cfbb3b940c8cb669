"""CloudFront in front of the web ALB."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.logs import CLOUDFRONT_LOG_PREFIX
from infra.settings import Settings
from infra.tags import tags

# AWS managed policies: a trading site's pages are per-user, so nothing is cached, and the
# viewer's Host header reaches the ALB so its certificate matches on the origin connection.
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
ORIGIN_ID = "web-alb"


@dataclass
class EdgeArgs:
    settings: Settings
    origin_domain_name: pulumi.Input[str]
    log_bucket_domain_name: pulumi.Input[str]


class Edge(pulumi.ComponentResource):
    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("commsec:edge:Edge", name, None, opts)
        s = args.settings
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-cdn",
            enabled=True,
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class="PriceClass_All",
            comment=f"commsec {s.environment} web",
            aliases=[s.web_domain_name],
            origins=[
                aws.cloudfront.DistributionOriginArgs(
                    origin_id=ORIGIN_ID,
                    domain_name=args.origin_domain_name,
                    custom_origin_config=aws.cloudfront.DistributionOriginCustomOriginConfigArgs(
                        http_port=80,
                        https_port=443,
                        origin_protocol_policy="https-only",
                        origin_ssl_protocols=["TLSv1.2"],
                    ),
                )
            ],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id=ORIGIN_ID,
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                cached_methods=["GET", "HEAD"],
                cache_policy_id=CACHING_DISABLED,
                origin_request_policy_id=ALL_VIEWER,
                compress=True,
            ),
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
                acm_certificate_arn=s.cloudfront_certificate_arn,
                ssl_support_method="sni-only",
                minimum_protocol_version="TLSv1.2_2021",
            ),
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
                    restriction_type="none"
                )
            ),
            logging_config=aws.cloudfront.DistributionLoggingConfigArgs(
                bucket=args.log_bucket_domain_name,
                prefix=CLOUDFRONT_LOG_PREFIX,
                include_cookies=False,
            ),
            tags=tags(s, f"{name}-cdn"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.distribution_id = self.distribution.id
        self.domain_name = self.distribution.domain_name
        self.register_outputs({"id": self.distribution_id, "domainName": self.domain_name})
