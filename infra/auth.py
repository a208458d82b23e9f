"""Auth: a user pool where only the practice creates accounts, a `staff` group and a public client."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from functions.api.identity import STAFF_GROUP


class Auth(Construct):
    def __init__(self, scope: Construct, id: str, *, practice_name: str, portal_url: str) -> None:
        super().__init__(scope, id)
        self.pool = cognito.UserPool(
            self,
            "Users",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(7),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            user_invitation=cognito.UserInvitationConfig(
                email_subject=f"Your client portal account at {practice_name}",
                email_body=(
                    f"{practice_name} invited you to its client portal at {portal_url}. "
                    "Sign in with {username} and the temporary password {####}; you will choose your own."
                ),
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        cognito.CfnUserPoolGroup(
            self,
            "StaffGroup",
            user_pool_id=self.pool.user_pool_id,
            group_name=STAFF_GROUP,
            description="Practice staff: review requests and manage the practice",
        )
        self.client = self.pool.add_client(
            "Portal",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(1),
        )
