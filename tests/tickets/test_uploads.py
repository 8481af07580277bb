"""Files travel with their ticket or message: kept when it is written, gone when it is not."""

import io

import pytest

from portal.tickets import conversation, uploads
from portal.tickets.attachments import Incoming, path_of
from portal.tickets.errors import TicketError
from portal.tickets.filing import NewTicket
from portal.tickets.tables import Attachment
from tests.helpers import create_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(200))


async def test_a_reply_that_fails_leaves_no_file_behind(settings):
    import hashlib

    ann = await create_user(settings, "ann@example.com")
    ticket = await uploads.file_ticket(settings, ann, NewTicket(type="question", subject="S", description="D"))
    await conversation.close_by_customer(settings, ann, ticket)
    with pytest.raises(TicketError):
        await uploads.reply(settings, ann, ticket, "One more thing", [Incoming("shot.png", io.BytesIO(PNG))])
    assert await Attachment.count() == 0
    assert not path_of(settings.data_dir, hashlib.sha256(PNG).hexdigest()).exists()


async def test_a_filed_ticket_keeps_its_file(settings):
    import hashlib

    ann = await create_user(settings, "ann@example.com")
    ticket = await uploads.file_ticket(
        settings, ann, NewTicket(type="question", subject="S", description="D"), [Incoming("shot.png", io.BytesIO(PNG))]
    )
    row = await Attachment.objects().where(Attachment.ticket == ticket.id).first()
    assert row.filename == "shot.png" and row.content_type == "image/png"
    assert path_of(settings.data_dir, hashlib.sha256(PNG).hexdigest()).read_bytes() == PNG
