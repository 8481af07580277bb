"""Files travel with their ticket or message: kept when it is written, gone when it is not."""

import io

import pytest

from portal.tickets import attachments, conversation, uploads
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


async def test_the_sweep_removes_only_files_a_crash_left_behind(settings):
    import hashlib
    import os
    import time

    ann = await create_user(settings, "ann@example.com")
    await uploads.file_ticket(
        settings, ann, NewTicket(type="question", subject="S", description="D"), [Incoming("shot.png", io.BytesIO(PNG))]
    )
    kept = path_of(settings.data_dir, hashlib.sha256(PNG).hexdigest())
    orphan = path_of(settings.data_dir, hashlib.sha256(b"never recorded").hexdigest())
    fresh = path_of(settings.data_dir, hashlib.sha256(b"being recorded right now").hexdigest())
    half = kept.parent / ".incoming-x1y2"
    for path in (orphan, fresh, half):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"data")
    two_hours_ago = time.time() - 7200
    for path in (kept, orphan, half):
        os.utime(path, (two_hours_ago, two_hours_ago))

    assert await attachments.sweep_orphans(settings.data_dir) == 2
    assert kept.read_bytes() == PNG  # its row refers to it, however old
    assert fresh.exists()  # unrecorded, but too recent to be a crash's leftover
    assert not orphan.exists() and not half.exists()


async def test_a_file_stored_again_is_safe_from_the_sweep(settings):
    """The same contents uploaded again while an old unrecorded copy waits: storing touches it."""
    import hashlib
    import os
    import time

    orphan = path_of(settings.data_dir, hashlib.sha256(PNG).hexdigest())
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(PNG)
    os.utime(orphan, (time.time() - 7200, time.time() - 7200))
    checked = await attachments.check_all([Incoming("shot.png", io.BytesIO(PNG))], 1024 * 1024)
    await attachments.store_all(settings.data_dir, checked)
    assert await attachments.sweep_orphans(settings.data_dir) == 0
    assert orphan.read_bytes() == PNG
