"""Create the Editors and Approvers groups with their permissions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Editors": [
        "view_connection",
        "view_journey",
        "add_journey",
        "view_remotesnapshot",
        "view_draft",
        "add_draft",
        "change_draft",
        "view_revision",
        "view_approval",
        "view_pushattempt",
    ],
    "Approvers": [
        "view_connection",
        "view_journey",
        "view_remotesnapshot",
        "view_draft",
        "view_revision",
        "view_approval",
        "view_pushattempt",
        "approve_draft",
        "push_draft",
    ],
}


def create_roles(apps: Any, schema_editor: Any) -> None:
    # Permissions are normally created after all migrations; roles need them now.
    app_config = apps.get_app_config("journeys")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        perms = Permission.objects.filter(
            content_type__app_label="journeys", codename__in=codenames
        )
        group.permissions.set(perms)


def drop_roles(apps: Any, schema_editor: Any) -> None:
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, drop_roles)]
