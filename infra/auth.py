"""Auth: a user pool where only the practice creates accounts, a `staff` group and a public client."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from functions.api.identity import PASSWORD_POLICY, STAFF_GROUP, TOKEN_HOURS

# What the pages may read of an account, and write: confirmations go to the client record's
# address, so nobody signed in may change `email`. Cognito takes an app client without a write
# list (or with an empty one) as allowed to write every standard attribute, so the list names one
# attribute that nothing reads.
READABLE = cognito.ClientAttributes().with_standard_attributes(email=True, email_verified=True)
WRITABLE = cognito.ClientAttributes().with_standard_attributes(locale=True)


class Auth(Construct):
    def __init__(self, scope: Construct, id: str, *, practice_name: str, portal_url: str) -> None:
        super().__init__(scope, id)
        self.pool = cognito.UserPool(
            self,
            "Users",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            # An address changed by any path stays as it was until the new one is verified.
            keep_original=cognito.KeepOriginalAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=int(PASSWORD_POLICY["MinimumLength"]),
                require_lowercase=bool(PASSWORD_POLICY["RequireLowercase"]),
                require_uppercase=bool(PASSWORD_POLICY["RequireUppercase"]),
                require_digits=bool(PASSWORD_POLICY["RequireNumbers"]),
                require_symbols=bool(PASSWORD_POLICY["RequireSymbols"]),
                temp_password_validity=Duration.days(int(PASSWORD_POLICY["TemporaryPasswordValidityDays"])),
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
            read_attributes=READABLE,
            write_attributes=WRITABLE,
            id_token_validity=Duration.hours(TOKEN_HOURS),
            access_token_validity=Duration.hours(TOKEN_HOURS),
            refresh_token_validity=Duration.days(1),
        )
