"""The stack a practice deploys: data, auth, api, notify, web."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from functions.jobs import reminders as reminder_job
from functions.notify.handler import NOT_SENT_MESSAGES
from functions.waitlist import handler as waitlist_function

from .api import Api, Functions
from .auth import Auth
from .config import DeployConfig
from .data import Data
from .jobs import EVERY, Jobs
from .monitoring import FIVE_MINUTES, alarm, alarm_on_messages, alarm_when_not_running
from .notify import Email, Notify
from .waitlist import EXPIRY_EVERY, Waitlist
from .web import Web


class PortalStack(Stack):
    def __init__(self, scope: Construct, id: str, *, config: DeployConfig, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        data_key = kms.Key(
            self,
            "DataKey",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
            description="Client portal: table, failure queue and alarm topic",
        )
        data_key.grant_encrypt_decrypt(iam.ServicePrincipal("cloudwatch.amazonaws.com"))
        logs_key = kms.Key(
            self,
            "LogsKey",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
            description="Client portal: CloudWatch Logs",
        )
        logs_key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com"))

        data = Data(self, "Data", key=data_key)
        offer_links = kms.Key(
            self,
            "OfferLinksKey",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
            description="Client portal: seals the secret links of offered times (the table keeps their hash)",
        )
        web = Web(self, "Web", region=self.region, website_origins=config.websiteOrigins)
        auth = Auth(self, "Auth", practice_name=config.practiceName, portal_url=web.url)
        email = Email(self, "Email", identity=config.sesIdentity)
        origins = [web.url, *config.websiteOrigins]
        functions = Functions(
            self,
            "Functions",
            table=data.table,
            data_key=data_key,
            logs_key=logs_key,
            environment={
                "TABLE_NAME": data.table.table_name,
                "USER_POOL_ID": auth.pool.user_pool_id,
                "STAFF_USER_POOL_ID": auth.staff_pool.user_pool_id,
                "SENDER_EMAIL": config.senderEmail,
                "PORTAL_URL": web.url,
                "SES_CONFIGURATION_SET": email.configuration_set.configuration_set_name,
                "ALLOWED_ORIGINS": ",".join(origins),
                "OFFER_TOKEN_KEY": offer_links.key_arn,
            },
            retention_days=config.logRetentionDays,
            reserved_concurrency=config.reservedConcurrency,
        )
        functions.by_name["clients"].add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "cognito-idp:AdminCreateUser",
                    "cognito-idp:AdminGetUser",
                ],
                resources=[auth.pool.user_pool_arn],
            )
        )
        # An invitation is refused for an address that has a staff account.
        functions.by_name["clients"].add_to_role_policy(
            iam.PolicyStatement(
                actions=["cognito-idp:AdminGetUser"], resources=[auth.staff_pool.user_pool_arn]
            )
        )
        api = Api(
            self,
            "Http",
            functions=functions,
            pools=[auth.pool, auth.staff_pool],
            origins=origins,
            logs_key=logs_key,
            retention_days=config.logRetentionDays,
            request_rate_limit=config.requestRateLimit,
            caller_rate_limit=config.callerRateLimit,
            portal_domain=web.distribution.distribution_domain_name,
            portal_origin=web.url,
            bot_check=config.botCheck,
        )
        notify = Notify(
            self, "Notify", function=functions.by_name["notify"], table=data.table, key=data_key, email=email
        )
        jobs = Jobs(
            self,
            "Jobs",
            reminders=functions.by_name["reminders"],
            expiry=functions.by_name["expiry"],
            email=email,
        )
        # The links of offered times: sealed by the review function, opened by notify only.
        offer_links.grant_encrypt(functions.by_name["review"])
        offer_links.grant_decrypt(functions.by_name["notify"])
        waitlist = Waitlist(
            self,
            "Waitlist",
            notify=functions.by_name["waitlistnotify"],
            expiry=functions.by_name["waitlistexpiry"],
            table=data.table,
            key=data_key,
            email=email,
        )
        web.connect_to(api.origin, bot_check=api.waf_integration_url)
        bot_check = {"wafIntegrationUrl": api.waf_integration_url} if api.waf_integration_url else {}
        web.publish(
            {
                "apiBaseUrl": api.api.url,
                "region": self.region,
                "userPoolId": auth.pool.user_pool_id,
                "userPoolClientId": auth.client.user_pool_client_id,
                "staffUserPoolId": auth.staff_pool.user_pool_id,
                "staffUserPoolClientId": auth.staff_client.user_pool_client_id,
                "cognitoEndpoint": f"https://cognito-idp.{self.region}.amazonaws.com/",
                # AWS WAF's JavaScript integration: the request form's bot check (infra/waf.py).
                **bot_check,
            }
        )

        topic = sns.Topic(
            self, "Alarms", master_key=data_key, enforce_ssl=True, display_name="Client portal alarms"
        )
        if config.alarmEmail:
            topic.add_subscription(subscriptions.EmailSubscription(config.alarmEmail))
        alarm_action = actions.SnsAction(topic)
        for name, function in functions.by_name.items():
            for metric, what in (
                (function.metric_errors, "Errors"),
                (function.metric_throttles, "Throttles"),
            ):
                alarm(
                    self,
                    f"{name}{what}",
                    metric=metric(period=FIVE_MINUTES, statistic="Sum"),
                    description=f"{what} in the {name} function",
                    action=alarm_action,
                )
        # An email given up on (refused by SES, impossible to build, or failing three times) is
        # shown to staff with Send Again; the operator hears of it too.
        alarm_on_messages(
            self,
            "EmailsNotSent",
            log_group=functions.log_groups["notify"],
            messages=NOT_SENT_MESSAGES,
            description="An email was not sent; staff see it on the staff page with Send Again",
            action=alarm_action,
        )
        alarm(
            self,
            "UndeliveredNotifications",
            metric=notify.failures.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES),
            description="Stream records the notify function gave up on are in the failure queue",
            action=alarm_action,
        )

        # A reminder given up on (refused, impossible to build, failing three times, or of
        # unknown delivery); and a schedule that stopped running the job at all.
        alarm_on_messages(
            self,
            "RemindersNotSent",
            log_group=functions.log_groups["reminders"],
            messages=reminder_job.NOT_SENT_MESSAGES,
            description="A reminder was not sent (see the reminder function's log for its key)",
            action=alarm_action,
        )
        alarm_when_not_running(
            self,
            "RemindersNotRunning",
            function=functions.by_name["reminders"],
            within=Duration.minutes(15),
            description=f"The reminder job did not run in 15 minutes (it is scheduled every "
            f"{EVERY.to_minutes()} minutes): reminders due meanwhile are not sent",
            action=alarm_action,
        )

        # (v2) The waitlist: an email given up on, stream records given up on, and the job that
        # drops past entries no longer running.
        alarm_on_messages(
            self,
            "WaitlistEmailsNotSent",
            log_group=functions.log_groups["waitlistnotify"],
            messages=waitlist_function.NOT_SENT_MESSAGES,
            description="A waitlist email was not sent (the waitlistnotify function's log has its key)",
            action=alarm_action,
        )
        alarm(
            self,
            "UndeliveredWaitlistRecords",
            metric=waitlist.failures.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES),
            description="Stream records the waitlist function gave up on are in its failure queue",
            action=alarm_action,
        )
        alarm_when_not_running(
            self,
            "WaitlistExpiryNotRunning",
            function=functions.by_name["waitlistexpiry"],
            within=Duration.hours(3),
            description=f"The waitlist job did not run in 3 hours (it is scheduled every "
            f"{EXPIRY_EVERY.to_hours()} hour): entries past their last day are kept meanwhile",
            action=alarm_action,
        )

        CfnOutput(self, "ApiUrl", value=api.api.url)
        CfnOutput(self, "PortalUrl", value=web.url)
        CfnOutput(self, "UserPoolId", value=auth.pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=auth.client.user_pool_client_id)
        CfnOutput(self, "StaffUserPoolId", value=auth.staff_pool.user_pool_id)
        CfnOutput(self, "StaffUserPoolClientId", value=auth.staff_client.user_pool_client_id)
        CfnOutput(self, "TableName", value=data.table.table_name)
        # What `make redrive` needs (functions/notify/redrive.py).
        CfnOutput(self, "NotifyFailureQueueUrl", value=notify.failures.queue_url)
        CfnOutput(self, "NotifyFunctionName", value=functions.by_name["notify"].function_name)
        self.parts = {
            "data": data,
            "auth": auth,
            "api": api,
            "functions": functions,
            "notify": notify,
            "jobs": jobs,
            "waitlist": waitlist,
            "web": web,
        }
