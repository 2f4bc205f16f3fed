from django.urls import path

from regions import views

app_name = "regions"
urlpatterns = [
    path("provinces/", views.province_list, name="provinces"),
    path("regencies/", views.regency_list, name="regencies"),
    path("districts/", views.district_list, name="districts"),
    path("villages/", views.village_list, name="villages"),
    path("map/", views.customer_map, name="map"),
    path("map/points/", views.customer_map_points, name="map-points"),
]
