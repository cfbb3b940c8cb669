"""``commsec alerts verify``: every alarm exists, notifies the topic, and someone is subscribed."""

from __future__ import annotations

import argparse

from ops.cli import Command
from ops.context import Context
from ops.report import Report, table


def _add_verify_args(parser: argparse.ArgumentParser) -> None:
    return None


def verify(args: argparse.Namespace, ctx: Context) -> Report:
    from ops.aws_alarms import check_alarms, check_subscriptions, expected_alarms

    outputs = ctx.outputs()
    expected = expected_alarms(
        web_alb_arn=outputs.web_alb_arn,
        app_alb_arn=outputs.app_alb_arn,
        cluster_name=outputs.cluster_name,
        db_instance=outputs.db_instance_identifier,
    )

    rows = check_alarms(ctx.aws("cloudwatch"), expected, outputs.alerts_topic_arn)
    subscriptions = check_subscriptions(ctx.aws("sns"), outputs.alerts_topic_arn)

    topic = outputs.alerts_topic_arn.rsplit(":", 1)[-1]
    subscribed = bool(subscriptions["confirmed"])
    if subscribed:
        sub_problem = None
    elif subscriptions["pending"]:
        sub_problem = (
            f"only unconfirmed subscription(s) {', '.join(subscriptions['pending'])}: nobody is "
            "notified until the link in the confirmation e-mail is clicked (resend it with "
            "'aws sns subscribe' for the same endpoint)"
        )
    else:
        sub_problem = f"topic {topic} has no subscription: subscribe the on-call address"
    shown = [
        [r["check"], r["alarm"], r["state"], "ok" if r["ok"] else "FAIL", r["problem"]]
        for r in rows
    ]
    shown.append(
        [
            "subscription",
            topic,
            None,
            "ok" if subscribed else "FAIL",
            sub_problem or ", ".join(subscriptions["confirmed"]),
        ]
    )
    failures = [r for r in rows if not r["ok"]]
    ok = not failures and subscribed
    summary = (
        f"All {len(rows)} alarms notify {topic}, which has a confirmed subscription."
        if ok
        else f"{len(failures) + (0 if subscribed else 1)} problem(s) found."
    )
    text = table(["CHECK", "ALARM", "STATE", "RESULT", "DETAIL"], shown) + "\n\n" + summary
    data = {"alarms": rows, "subscriptions": subscriptions, "subscriptionProblem": sub_problem}
    return Report("alerts verify", data, text=text, ok=ok)


COMMANDS = {"verify": Command(_add_verify_args, verify)}
