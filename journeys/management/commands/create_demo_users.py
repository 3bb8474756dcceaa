from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

# Development only: the command refuses to run with DEBUG off.
DEMO_USERS = [
    ("editor", "editor-demo-pass", "Editors", False),
    ("approver", "approver-demo-pass", "Approvers", False),
    ("admin", "admin-demo-pass", None, True),
]


class Command(BaseCommand):
    help = "Create (or reset) the demo editor, approver and admin, and print their credentials."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo users are for development only (DEBUG is off).")
        User = get_user_model()
        for username, password, group_name, is_admin in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.email = f"{username}@example.com"
            user.is_staff = is_admin
            user.is_superuser = is_admin
            user.save()
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
            self.stdout.write(f"  {username:<9} password: {password}")
