from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from visits.forms import LoginForm
from visits.views import two_factor

admin.site.site_header = _("Custody visiting administration")
admin.site.site_title = _("icv admin")

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/setup/", two_factor.setup, name="two-factor-setup"),
    path("accounts/two-factor/verify/", two_factor.verify, name="two-factor-verify"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("", include("visits.urls")),
]
