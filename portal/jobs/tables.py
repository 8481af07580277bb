"""The background work's own table: the leases that let one process at a time do a periodic job."""

from piccolo.columns import Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Lease(Table, tablename="job_lease"):
    """One periodic job across every process and machine: whoever changes the row runs the job. While
    it runs, `holder` names the run and `expires_at` is when it is taken for dead; after it, `holder`
    is empty and `expires_at` is when the job is next due."""

    name = Varchar(length=40, unique=True)
    holder = Varchar(length=80, default="")
    expires_at = Timestamptz(default=TimestamptzNow())
