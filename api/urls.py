from django.urls import include, path
from rest_framework.routers import DefaultRouter

from api import views

router = DefaultRouter()
router.register("suites", views.SuiteViewSet, basename="suite")
router.register("visits", views.VisitViewSet, basename="visit")
router.register("issues", views.IssueViewSet, basename="issue")

urlpatterns = [
    path("me/", views.me, name="api-me"),
    path("checklists/current/", views.current_checklists, name="api-checklists-current"),
    path("summaries/", views.summary, name="api-summary"),
    path("", include(router.urls)),
]
