"""What can go wrong with tickets, as domain errors the web layer maps to answers once."""


class TicketError(Exception):
    """`code` names the message shown; `field` the form field it concerns, if any."""

    def __init__(self, code: str, field: str = "") -> None:
        super().__init__(code)
        self.code, self.field = code, field


class TicketNotFound(TicketError):
    """Absent, or not the asker's to see: the same answer, so ticket numbers reveal nothing."""

    def __init__(self) -> None:
        super().__init__("ticket_not_found")


class NotAllowed(TicketError):
    def __init__(self, code: str = "not_allowed") -> None:
        super().__init__(code)
