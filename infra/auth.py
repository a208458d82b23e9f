"""Auth: two user pools where only the practice creates accounts. Clients sign in to one (TOTP
MFA optional); staff, who see every client's details, to the other, which requires TOTP MFA and
holds the `staff` group. Each pool has one public app client for the pages."""

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


def _pool(
    scope: Construct, id: str, *, mfa: cognito.Mfa, invitation: cognito.UserInvitationConfig
) -> cognito.UserPool:
    return cognito.UserPool(
        scope,
        id,
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
        mfa=mfa,
        mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
        account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
        user_invitation=invitation,
        removal_policy=RemovalPolicy.RETAIN,
    )


def _client(pool: cognito.UserPool) -> cognito.UserPoolClient:
    return pool.add_client(
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


class Auth(Construct):
    def __init__(self, scope: Construct, id: str, *, practice_name: str, portal_url: str) -> None:
        super().__init__(scope, id)
        # The pool deployed before staff had their own keeps its id: the clients' accounts stay.
        self.pool = _pool(
            self,
            "Users",
            mfa=cognito.Mfa.OPTIONAL,
            invitation=cognito.UserInvitationConfig(
                email_subject=f"Your client portal account at {practice_name}",
                email_body=(
                    f"{practice_name} invited you to its client portal at {portal_url}. "
                    "Sign in with {username} and the temporary password {####}; you will choose your own."
                ),
            ),
        )
        self.client = _client(self.pool)
        # Cognito sets a pool's MFA to required only when the pool is made.
        self.staff_pool = _pool(
            self,
            "Staff",
            mfa=cognito.Mfa.REQUIRED,
            invitation=cognito.UserInvitationConfig(
                email_subject=f"Your staff account at {practice_name}",
                email_body=(
                    f"You have a staff account for the client portal of {practice_name}. Sign in at "
                    f"{portal_url}/staff with {{username}} and the temporary password {{####}}; you will "
                    "choose your own password and set up an authenticator app."
                ),
            ),
        )
        cognito.CfnUserPoolGroup(
            self,
            "StaffGroup",
            user_pool_id=self.staff_pool.user_pool_id,
            group_name=STAFF_GROUP,
            description="Practice staff: review requests and manage the practice",
        )
        self.staff_client = _client(self.staff_pool)
