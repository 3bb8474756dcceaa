from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from journeys.views import catalog, conditions, contacts, editor, freshness, remote, review
from journeys.views import drafts as views
from journeys.views.notifications import NOTIFICATION_URLS
from journeys.views.push import PUSH_URLS

app_urls = (
    [
        path("", views.home, name="home"),
        path("drafts/new/", views.draft_new, name="draft-new"),
        path("drafts/upload/", views.draft_upload, name="draft-upload"),
        path("drafts/<int:pk>/", editor.editor, name="draft"),
        path("drafts/<int:pk>/edit/", editor.edit, name="draft-edit"),
        path("drafts/<int:pk>/insert/", editor.insert_chooser, name="draft-insert"),
        path("drafts/<int:pk>/panel/", editor.panel, name="draft-panel"),
        path("drafts/<int:pk>/conditions/", conditions.conditions, name="draft-conditions"),
        path("drafts/<int:pk>/catalog/search/", catalog.search, name="draft-catalog-search"),
        path("drafts/<int:pk>/catalog/refresh/", catalog.refresh, name="draft-catalog-refresh"),
        path("drafts/<int:pk>/catalog/status/", catalog.status, name="draft-catalog-status"),
        path("drafts/<int:pk>/undo/", editor.undo, name="draft-undo"),
        path("drafts/<int:pk>/redo/", editor.redo, name="draft-redo"),
        path("drafts/<int:pk>/history/", editor.history, name="draft-history"),
        path("drafts/<int:pk>/drift/", editor.drift, name="draft-drift"),
        path("drafts/<int:pk>/revision/", freshness.revision, name="draft-revision"),
        path("drafts/<int:pk>/refresh/", freshness.refresh, name="draft-refresh"),
        path("drafts/<int:pk>/restore/<int:number>/", editor.restore, name="draft-restore"),
        path("drafts/<int:pk>/contacts/", contacts.contacts, name="draft-contacts"),
        path("drafts/<int:pk>/contacts/save/", contacts.contact_save, name="draft-contact-save"),
        path(
            "drafts/<int:pk>/contacts/import/",
            contacts.contacts_import,
            name="draft-contacts-import",
        ),
        path(
            "drafts/<int:pk>/contacts/delete/", contacts.contact_delete, name="draft-contact-delete"
        ),
        path("drafts/<int:pk>/download.json", views.draft_download, name="draft-download"),
        path("reviews/", review.review_queue, name="review-queue"),
        path("drafts/<int:pk>/review/", review.review, name="draft-review"),
        path("drafts/<int:pk>/submit/", review.submit, name="draft-submit"),
        path("drafts/<int:pk>/decide/", review.decide, name="draft-decide"),
        path("drafts/<int:pk>/compare/", review.compare, name="draft-compare"),
        path("drafts/<int:pk>/comments/", review.comment_add, name="comment-add"),
        path(
            "drafts/<int:pk>/comments/<int:comment_pk>/resolve/",
            review.comment_resolve,
            name="comment-resolve",
        ),
        path("journeys/<int:pk>/audit/", review.journey_audit, name="journey-audit"),
        path("connections/<int:pk>/remote/", remote.remote_list, name="remote-list"),
        path(
            "connections/<int:pk>/remote/<str:remote_id>/",
            remote.remote_versions,
            name="remote-versions",
        ),
        path("connections/<int:pk>/import/", remote.remote_import, name="remote-import"),
        path("snapshots/<int:pk>/download.json", views.snapshot_download, name="snapshot-download"),
        *PUSH_URLS,
        *NOTIFICATION_URLS,
    ],
    "journeys",
)

urlpatterns = [
    path("", include(app_urls)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
]
