from django import forms
from django.utils.translation import gettext_lazy as _


def reject_case_insensitive_duplicate(form, field_name, value):
    """Raise a field error when another record already uses `value` for
    `field_name`, ignoring case, because the import matches names and codes
    regardless of case."""
    others = form._meta.model.objects.filter(**{f"{field_name}__iexact": value})
    if form.instance.pk:
        others = others.exclude(pk=form.instance.pk)
    if others.exists():
        raise forms.ValidationError(
            _("%(value)s is already used by %(other)s."),
            code="duplicate",
            params={"value": value, "other": others.first()},
        )
    return value
