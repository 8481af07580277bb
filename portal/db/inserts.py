"""A new row's INSERT, built and compiled once per table and database type instead of once per row."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from piccolo.querystring import QueryString
from piccolo.table import Table
from piccolo.utils.sql_values import convert_to_sql_value

# Values the drivers take as they are; anything else (a dict for a JSON column, an Enum, a row for a
# foreign key) is converted as Piccolo converts it.
_PLAIN = frozenset({str, int, float, bool, type(None), datetime, date})
# Per table and engine type: the INSERT in the engine's placeholders and the columns whose values it takes.
_INSERTS: dict[tuple[type[Table], str], tuple[str, tuple[tuple[str, Any], ...]]] = {}


class _Compiled(QueryString):
    """A statement already written in the engine's placeholders, run as it is with `values`."""

    __slots__ = ()

    def __init__(self, sql: str, values: list[Any], table: type[Table]) -> None:
        super().__init__(sql, query_type="insert", table=table)
        self._frozen_compiled_strings = (sql, values)  # where QueryString.freeze() keeps its compiled text


def _insert_statement(table: type[Table], engine_type: str) -> tuple[str, tuple[tuple[str, Any], ...]]:
    found = _INSERTS.get((table, engine_type))
    if found is None:
        pk = table._meta.primary_key
        columns = [column for column in table._meta.columns if column is not pk]
        names = ", ".join(f'"{column._meta.db_column_name}"' for column in columns)
        places = ", ".join("{}" for _ in columns)
        # Names from the table's definition; the values travel as arguments.
        template = (
            f"INSERT INTO {table._meta.get_formatted_tablename()} ({names}) VALUES ({places}) "  # noqa: S608
            f'RETURNING "{pk._meta.db_column_name}"'
        )
        sql, _values = QueryString(template, *(None for _ in columns)).compile_string(engine_type)
        found = _INSERTS[(table, engine_type)] = (sql, tuple((column._meta.name, column) for column in columns))
    return found


async def insert(row: Table) -> None:
    """Store a new row (its id made by the database) as `row.save()` does: every column, with the values
    and defaults the row holds; then the row has its id. Piccolo builds and compiles that INSERT anew
    for each row, which cost more than running it: here that is done once per table and engine."""
    table = type(row)
    engine = table._meta.db
    sql, columns = _insert_statement(table, engine.engine_type)
    values = [
        value if type(value) in _PLAIN else convert_to_sql_value(value, column)
        for name, column in columns
        for value in (getattr(row, name),)
    ]
    rows = await engine.run_querystring(_Compiled(sql, values, table))
    pk = table._meta.primary_key._meta
    setattr(row, pk.name, rows[0][pk.db_column_name])
    row._exists_in_db = True
