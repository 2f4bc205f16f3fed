from django.urls import path

from portal import staff_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/forgot/", views.password_forgot, name="password-forgot"),
    path("password/change/", views.password_change, name="password-change"),
    path("link/<str:token>/", views.link_view, name="link"),
    path("profile/", views.profile_edit, name="profile"),
    path("requests/new/", views.change_request_new, name="request-new"),
    path("requests/package/", views.package_request_new, name="request-package"),
    path("requests/<int:pk>/cancel/", views.change_request_cancel_view, name="request-cancel"),
    path("staff/customers/<int:pk>/link/", staff_views.customer_link, name="staff-customer-link"),
    path("staff/requests/", staff_views.change_request_list, name="staff-requests"),
    path("staff/requests/<int:pk>/approve/", staff_views.change_request_approve_view, name="staff-request-approve"),
    path("staff/requests/<int:pk>/reject/", staff_views.change_request_reject_view, name="staff-request-reject"),
]
