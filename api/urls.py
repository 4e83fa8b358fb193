from django.urls import include, path
from rest_framework.routers import DefaultRouter

from api import views

router = DefaultRouter()
router.register("suites", views.SuiteViewSet, basename="suite")

urlpatterns = [
    path("me/", views.me, name="api-me"),
    path("", include(router.urls)),
]
