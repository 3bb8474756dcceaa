from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from journeys import views

app_urls = (
    [
        path("", views.home, name="home"),
        path("drafts/new/", views.draft_new, name="draft-new"),
        path("drafts/upload/", views.draft_upload, name="draft-upload"),
        path("drafts/<int:pk>/", views.draft_detail, name="draft"),
        path("drafts/<int:pk>/download.json", views.draft_download, name="draft-download"),
        path("connections/<int:pk>/remote/", views.remote_list, name="remote-list"),
        path(
            "connections/<int:pk>/remote/<str:remote_id>/",
            views.remote_versions,
            name="remote-versions",
        ),
        path("connections/<int:pk>/import/", views.remote_import, name="remote-import"),
        path(
            "snapshots/<int:pk>/download.json", views.snapshot_download, name="snapshot-download"
        ),
    ],
    "journeys",
)

urlpatterns = [
    path("", include(app_urls)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
]
