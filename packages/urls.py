from django.urls import path

from packages import views

app_name = "packages"
urlpatterns = [
    path("", views.package_list, name="list"),
    path("new/", views.package_create, name="create"),
    path("<int:pk>/", views.package_edit, name="edit"),
]
