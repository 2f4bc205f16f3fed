from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import include, path

from ebilling import views
from ebilling.access import is_admin
from ebilling.password_forms import StaffAdminLoginForm, StaffLoginForm


def admin_site_permission(request):
    """Let only admins (all sites) into the Django admin, which does not limit anything to a site."""
    return is_admin(request.user)


def admin_password_change(request, extra_context=None):
    """Send the Django admin's own password page to the app's, because that page uses the app's wording."""
    return redirect("password-change")


admin.site.has_permission = admin_site_permission
admin.site.password_change = admin_password_change
admin.site.login_form = StaffAdminLoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=StaffLoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", views.password_change, name="password-change"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("customers/", include("customers.urls")),
    path("customers/", include("audit.urls")),
    path("sites/", include("sites.urls")),
    path("staff/", include("sites.staff_urls")),
    path("packages/", include("packages.urls")),
    path("regions/", include("regions.urls")),
    path("portal/", include("portal.urls")),
    path("django-admin/", admin.site.urls),
]
