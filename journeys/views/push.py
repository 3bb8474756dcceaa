"""Pushing approved drafts to SFMC, the push status and the merge screen."""

from __future__ import annotations

from django.urls import URLPattern

PUSH_URLS: list[URLPattern] = []
