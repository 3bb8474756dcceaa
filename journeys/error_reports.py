"""Django's error reports (the DEBUG=True page, the error e-mails) without SFMC secrets.

Django hides settings named like secrets, but it shows every frame's local variables and every
POST field unless a view is decorated with @sensitive_variables / @sensitive_post_parameters;
the SFMC client's token request holds the client secret in a local dict (`body`), decrypting
holds the stored ciphertext (`token`, `msg`), and the admin's connection form posts the secret.
This filter always hides what is named like a secret (a variable, a POST field, a dict key) and
any Fernet token, whatever it is called.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, QueryDict
from django.views.debug import SafeExceptionReporterFilter

FERNET_PREFIX = "gAAAAA"  # every Fernet token starts so (version byte 0x80, then a timestamp)


class SecretsReporterFilter(SafeExceptionReporterFilter):
    def cleanse_setting(self, key: Any, value: Any) -> Any:
        if isinstance(value, bytes):
            text = value.decode("latin-1")
        else:
            text = value if isinstance(value, str) else ""
        if FERNET_PREFIX in text:
            return self.cleansed_substitute
        return super().cleanse_setting(key, value)

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        params = super().get_post_parameters(request)
        if not isinstance(params, QueryDict):
            return params
        cleansed = params.copy()
        for name in params:
            if self.hidden_settings.search(name):
                cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleanse_setting(name, value)) for name, value in variables]
