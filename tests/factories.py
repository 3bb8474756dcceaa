from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from journeys import models
from journeys.roles import ensure_roles

SIM_CLIENT_SECRET = "sim-client-secret"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "pw-for-tests-1")
        if create:
            self.save()

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if extracted:
            # A transactional test's flush removes the groups the migrations made.
            ensure_roles(Group, Permission)
        for name in extracted or []:
            self.groups.add(Group.objects.get(name=name))


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Connection
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Business unit {n}")
    auth_base_url = "https://mc0123456789abcdefghijklmnop.auth.marketingcloudapis.com"
    rest_base_url = "https://mc0123456789abcdefghijklmnop.rest.marketingcloudapis.com"
    client_id = "client-id-for-tests"
    account_id = "100001"

    @factory.post_generation
    def secret(self, create, extracted, **kwargs):
        self.set_client_secret(extracted or SIM_CLIENT_SECRET)
        if create:
            self.save()
