from django.urls import path

from customers import bulk_views, export_views, import_views, invite_views, views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export/", views.customer_export, name="export"),
    path("export/incomplete/", views.customer_export_incomplete, name="export-incomplete"),
    path("exports/", export_views.export_list, name="export-list"),
    path("exports/<uuid:pk>/", export_views.export_detail, name="export-detail"),
    path("exports/<uuid:pk>/progress/", export_views.export_progress, name="export-progress"),
    path("exports/<uuid:pk>/download/", export_views.export_download, name="export-download"),
    path("exports/<uuid:pk>/retry/", export_views.export_retry, name="export-retry"),
    path("dashboard/", views.customer_dashboard, name="dashboard"),
    path("bulk/", views.customer_bulk, name="bulk"),
    path("bulk/changes/", bulk_views.bulk_change_list, name="bulk-list"),
    path("bulk/invite/", invite_views.customer_bulk_invite, name="bulk-invite"),
    path("bulk/changes/<int:pk>/undo/", bulk_views.bulk_change_undo, name="bulk-undo"),
    path("new/", views.customer_add, name="add"),
    path("deleted/", views.deleted_customer_list, name="deleted"),
    path("deleted/<int:history_id>/restore/", views.deleted_customer_restore, name="restore"),
    path("<int:pk>/", views.customer_edit, name="edit"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
    path("upload/", import_views.upload, name="upload"),
    path("upload/template/", import_views.template_download, name="template"),
    path("imports/", import_views.batch_list, name="batch-list"),
    path("imports/<uuid:pk>/", import_views.batch_detail, name="batch-detail"),
    path("imports/<uuid:pk>/progress/", import_views.batch_progress, name="batch-progress"),
    path("imports/<uuid:pk>/confirm/", import_views.batch_confirm, name="batch-confirm"),
    path("imports/<uuid:pk>/cancel/", import_views.batch_cancel, name="batch-cancel"),
    path("imports/<uuid:pk>/problems.xlsx", import_views.batch_problem_workbook, name="batch-problems"),
    path("imports/<uuid:pk>/retry/", import_views.batch_retry, name="batch-retry"),
    path("imports/<uuid:pk>/undo/", import_views.batch_undo, name="batch-undo"),
    path("imports/<uuid:pk>/alias/", import_views.batch_alias, name="batch-alias"),
    path("imports/<uuid:pk>/columns/", import_views.batch_columns, name="batch-columns"),
    path("imports/columns/", import_views.header_alias_list, name="header-alias-list"),
    path("imports/columns/<int:pk>/delete/", import_views.header_alias_delete, name="header-alias-delete"),
]
