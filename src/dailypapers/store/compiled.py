"""The list pages' hottest queries, compiled to SQL once per process and set of arguments.

Building and compiling a Django queryset (filters, annotations, the visibility and reader rules)
costs more than running it: measured with `bench/web_bench.py --baseline`, the ordinary path made
an uncached day page's render take 1.8x the CPU. ``@compiled`` turns a function that builds a
``values_list`` queryset from its arguments into one that returns the queryset's rows, compiling
the statement the first time it sees those arguments and afterwards running the same SQL with the
same parameters, converting the rows as the queryset would (Django's own converters).

The key is derived, never written by hand: it is the tuple of the call's arguments, and the build
function may depend on nothing else. It must be a module-level function (no closure, so it cannot
see a caller's variables) taking hashable positional arguments. Data is never cached, only SQL:
a statement runs afresh on every call. Statements are forgotten when a setting changes (newest.py).
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
    """``build(*args)``'s rows; its statement compiled once per distinct ``args`` (the newest ``size`` kept)."""

    def __init__(self, build: Callable[..., QuerySet], size: int = 256) -> None:
        if build.__closure__ or "<locals>" in build.__qualname__:
            raise TypeError(f"{build.__qualname__}: @compiled takes a module-level function without a closure")
        self.build = build
        self.name = build.__qualname__
        self._statements = Newest(size)

    def __call__(self, *args: Hashable) -> list[tuple]:
        statement = self._statements.get(args)
        if statement is None:
            statement = self._compile(self.build(*args))
            self._statements.put({args: statement})
        if not isinstance(statement, _Statement):  # _EMPTY
            return []
        return statement.run()

    def _compile(self, queryset: QuerySet) -> _Statement | object:
        query = queryset.query
        # values_list() rows in the order the SELECT has them (Django reorders when annotations
        # are mixed in; such a queryset is not taken here).
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        if queryset._iterable_class is not ValuesListIterable or list(queryset._fields) != names:
            raise TypeError(f"{self.name}: @compiled takes a values_list() of plain columns")
        try:
            return _Statement(queryset)
        except EmptyResultSet:
            return _EMPTY


def compiled(size: int = 256) -> Callable[[Callable[..., QuerySet]], Compiled]:
    """Decorator: ``@compiled()`` over a module-level function that builds a values_list queryset."""
    return lambda build: Compiled(build, size)
