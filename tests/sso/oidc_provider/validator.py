from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    """Every claim whatever the scope; the person's 工号 is kept in the provider's own
    account as its last_name (the provider's user store, as an identity platform keeps
    an employee number)."""

    oidc_claim_scope = None

    def get_additional_claims(self, request):
        return {
            "employee_number": request.user.last_name,
            "preferred_username": request.user.username,
        }
