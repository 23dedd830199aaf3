"""The one authentication backend: allauth's, loading the staff profile with the user and
granting the permissions of the person's role (people/roles.py)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from allauth.account.auth_backends import AuthenticationBackend
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.query import get_related_populators

from .models import User
from .roles import role_permissions

# Loaded with the user on every request: the header, the scoping of every page and the quiz
# services read the person's staff record, department and municipality.
USER_RELATED = ("staff_profile__department", "staff_profile__municipality")
_PK_PLACEHOLDER = -7_300_001  # stands for the pk while the query is compiled


@dataclass(frozen=True)
class _CompiledUserQuery:
    """`User.objects.select_related(*USER_RELATED).filter(pk=…)`, compiled by Django once per
    process and database. Django compiles a queryset each time it runs one; for this four-table
    join that was most of the CPU of loading the user (decision 0016). The SQL, the columns and
    the way rows become a user with its related objects are Django's own, kept from that one
    compilation."""

    sql: str
    params: tuple
    pk_index: int
    compiler: object
    init_list: list[str]
    fields: slice
    populators: list

    def load(self, alias: str, pk) -> User | None:
        params = list(self.params)
        params[self.pk_index] = pk
        with connections[alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if not rows:
            return None
        # What ModelIterable does with each row.
        row = next(iter(self.compiler.results_iter([rows])))
        user = User.from_db(alias, self.init_list, row[self.fields])
        for populator in self.populators:
            populator.populate(row, user)
        return user


@functools.cache
def _compiled_user_query(alias: str) -> _CompiledUserQuery:
    queryset = User._default_manager.using(alias).select_related(*USER_RELATED).filter(pk=_PK_PLACEHOLDER)
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    (pk_index,) = [i for i, value in enumerate(params) if value == _PK_PLACEHOLDER]
    klass_info = compiler.klass_info
    select_fields = klass_info["select_fields"]
    fields = slice(select_fields[0], select_fields[-1] + 1)
    return _CompiledUserQuery(
        sql=sql,
        params=tuple(params),
        pk_index=pk_index,
        compiler=compiler,
        init_list=[column[0].target.attname for column in compiler.select[fields]],
        fields=fields,
        populators=get_related_populators(klass_info, compiler.select, alias),
    )


def user_with_staff(pk, *, using: str = DEFAULT_DB_ALIAS) -> User | None:
    """The user with their staff record, department and municipality, in one query; None when
    there is no such user."""
    try:
        pk = User._meta.pk.to_python(pk)
    except ValidationError:  # a session holding anything but a pk finds nobody
        return None
    return _compiled_user_query(using).load(using, pk)


class StaffAuthenticationBackend(AuthenticationBackend):
    def get_user(self, user_id):
        user = user_with_staff(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        permissions = super().get_all_permissions(user_obj, obj)
        if obj is not None:
            return permissions
        try:
            return permissions | role_permissions(user_obj)
        except ObjectDoesNotExist:
            return permissions
