from django.contrib import admin

from audit.models import NikReveal


@admin.register(NikReveal)
class NikRevealAdmin(admin.ModelAdmin):
    """The NIK reveal log, read-only: records are never edited or deleted here."""

    list_display = ("revealed_at", "username", "customer_number", "batch_file_name")
    list_filter = ("revealed_at",)
    search_fields = ("username", "customer_number", "batch_file_name")
    readonly_fields = (
        "user", "username", "customer", "customer_number", "batch", "batch_file_name", "rows", "revealed_at"
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
