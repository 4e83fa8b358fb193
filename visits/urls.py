from django.urls import path

from visits.views import home, suites

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("suites/", suites.suite_list, name="suite-list"),
    path("suites/<int:pk>/", suites.suite_detail, name="suite-detail"),
    path("suites/<int:pk>/edit/", suites.suite_edit, name="suite-edit"),
]
