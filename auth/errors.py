"""What can go wrong with accounts, as domain errors the web layer maps to answers."""


class AccountError(Exception):
    """Base of the accounts errors; `code` names the message shown to the user."""

    code = "account_error"

    def __init__(self, code: str | None = None) -> None:
        super().__init__(code or self.code)
        if code:
            self.code = code


class InvalidInput(AccountError):
    code = "invalid_input"

    def __init__(self, field: str, code: str) -> None:
        super().__init__(code)
        self.field = field


class InvalidCredentials(AccountError):
    code = "invalid_credentials"


class EmailNotVerified(AccountError):
    code = "email_not_verified"


class InvalidLink(AccountError):
    code = "invalid_link"


class RateLimited(AccountError):
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


class NotFound(AccountError):
    code = "not_found"
