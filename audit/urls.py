from django.urls import path

from audit import views

# Included under /customers/, beside the customer pages these actions belong to.
app_name = "audit"
urlpatterns = [
    path("<int:pk>/nik/", views.nik_reveal, name="nik-reveal"),
    path("<int:pk>/anonymise/", views.anonymise, name="customer-anonymise"),
]
