from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection as db_connection
from django.urls import reverse

from journeys.models import Connection
from journeys.secrets import SecretUnreadable
from tests.factories import ConnectionFactory

PLAIN = "s3cr3t-value-that-must-never-leak"


def raw_secret_column(pk):
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT client_secret_encrypted FROM journeys_connection WHERE id = %s", [pk]
        )
        return cursor.fetchone()[0]


def test_client_secret_is_stored_encrypted_and_reads_back(db):
    conn = ConnectionFactory(secret=PLAIN)
    raw = raw_secret_column(conn.pk)
    assert PLAIN not in raw
    assert raw.startswith("gAAAAA")
    assert Connection.objects.get(pk=conn.pk).get_client_secret() == PLAIN


def test_secret_rotates_to_a_new_key_and_then_needs_only_the_new_key(db, settings):
    old_key = settings.SFMC_SECRET_KEYS[0]
    conn = ConnectionFactory(secret=PLAIN)
    new_key = Fernet.generate_key().decode()
    settings.SFMC_SECRET_KEYS = [new_key, old_key]
    from django.core.management import call_command

    call_command("rotate_secrets")
    settings.SFMC_SECRET_KEYS = [new_key]
    assert Connection.objects.get(pk=conn.pk).get_client_secret() == PLAIN


def test_wrong_key_raises_instead_of_returning_an_empty_secret(db, settings):
    conn = ConnectionFactory(secret=PLAIN)
    settings.SFMC_SECRET_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(SecretUnreadable):
        Connection.objects.get(pk=conn.pk).get_client_secret()


def test_admin_connection_page_never_renders_the_secret(admin_client, db):
    conn = ConnectionFactory(secret=PLAIN)
    page = admin_client.get(reverse("admin:journeys_connection_change", args=[conn.pk]))
    assert page.status_code == 200
    assert PLAIN.encode() not in page.content
    assert raw_secret_column(conn.pk).encode() not in page.content
    assert "•••• set on".encode() in page.content


def test_admin_keeps_the_secret_when_the_field_is_left_blank(admin_client, db):
    conn = ConnectionFactory(secret=PLAIN)
    url = reverse("admin:journeys_connection_change", args=[conn.pk])
    data = {
        "name": "Renamed",
        "auth_base_url": conn.auth_base_url,
        "rest_base_url": conn.rest_base_url,
        "client_id": conn.client_id,
        "account_id": conn.account_id,
        "client_secret": "",
        # The team rules inline's management form, as the admin page sends it.
        "team_rules-TOTAL_FORMS": "0",
        "team_rules-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    conn.refresh_from_db()
    assert conn.name == "Renamed"
    assert conn.get_client_secret() == PLAIN


def test_admin_requires_a_secret_for_a_new_connection(admin_client, db):
    data = {
        "name": "New BU",
        "auth_base_url": "https://mc0123456789abcdefghijklmnop.auth.marketingcloudapis.com",
        "rest_base_url": "https://mc0123456789abcdefghijklmnop.rest.marketingcloudapis.com",
        "client_id": "abc",
        "client_secret": "",
    }
    response = admin_client.post(reverse("admin:journeys_connection_add"), data)
    assert response.status_code == 200
    assert b"A client secret is required" in response.content
    assert not Connection.objects.filter(name="New BU").exists()


def test_secret_is_not_in_the_audit_log_or_str(db):
    conn = ConnectionFactory(secret=PLAIN)
    assert PLAIN not in str(conn) and PLAIN not in repr(conn)
