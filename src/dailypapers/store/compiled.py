"""The list pages' hottest queries, compiled to SQL once per process and key, then only executed.

Building and compiling a Django queryset (filters, annotations, the visibility and reader
rules) costs several times what running it costs: on a list page, a third of the request.
``Compiled.rows(key, build)`` compiles ``build()`` (a ``values_list`` queryset) the first time
``key`` is seen and afterwards runs the same SQL with the same parameters, converting the
rows exactly as the queryset would (Django's own converters: dates, JSON, ...).

The key must name everything the queryset depends on (its arguments: dates, category, page,
reader id...): the compiled statement is reused for as long as the key is the same. Data is
never cached, only SQL; a statement runs afresh on every call. Statements are forgotten when a
setting changes (tests that override the time zone or databases; dailypapers/newest.py).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ValuesListIterable

from dailypapers.newest import Newest

_EMPTY = object()  # a query Django knows matches nothing (``id IN ()``): no statement to run


class _Statement:
    __slots__ = ("compiler", "converters", "params", "sql", "using")

    def __init__(self, queryset: QuerySet) -> None:
        self.using = queryset.db
        compiler = queryset.query.get_compiler(self.using)
        self.sql, self.params = compiler.as_sql()
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        self.compiler = compiler
        self.converters = compiler.get_converters(fields)

    def run(self) -> list[tuple]:
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, self.params)
            rows = cursor.fetchall()
        if self.converters:
            return [tuple(row) for row in self.compiler.apply_converters(rows, self.converters)]
        return [tuple(row) for row in rows]


class Compiled:
    """Compiled statements by key; the ``size`` most recently compiled are kept."""

    def __init__(self, name: str, size: int = 256) -> None:
        self.name = name
        self._statements = Newest(size)

    def rows(self, key: Hashable, build: Callable[[], QuerySet]) -> list[tuple]:
        """The rows of ``build()`` (a ``values_list`` queryset) as tuples; ``build`` runs on a new key only."""
        statement = self._statements.get(key)
        if statement is None:
            statement = self._compile(build())
            self._statements.put({key: statement})
        if not isinstance(statement, _Statement):  # _EMPTY
            return []
        return statement.run()

    def _compile(self, queryset: QuerySet) -> _Statement | object:
        query = queryset.query
        # values_list() rows in the order the SELECT has them (Django reorders when annotations
        # are mixed in; such a queryset is not taken here).
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        if queryset._iterable_class is not ValuesListIterable or list(queryset._fields) != names:
            raise TypeError(f"{self.name}: Compiled.rows() takes a values_list() of plain columns")
        try:
            return _Statement(queryset)
        except EmptyResultSet:
            return _EMPTY
