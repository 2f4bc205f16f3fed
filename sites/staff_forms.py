from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordMixin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ebilling.password_validation import password_rules_html
from sites.models import Site
from sites.staff import (
    ADMIN_PERMISSION,
    RIGHTS,
    Role,
    direct_permission_keys,
    group_permission_keys,
    staff_role,
    staff_save,
    staff_username_check,
)


class StaffForm(SetPasswordMixin, forms.ModelForm):
    """A staff user's account, role, sites and rights.

    A new user needs a password, typed twice. On the edit page both password
    fields may stay empty, which keeps the old password.
    """

    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, widget=forms.RadioSelect)
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites"),
        queryset=Site.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Required for a site admin, who sees only these sites. Admins see every site."),
    )
    rights = forms.MultipleChoiceField(
        label=_("Rights"),
        choices=list(RIGHTS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for a site admin. Admins hold every right."),
    )

    field_order = ["username", "full_name", "email", "role", "sites", "rights", "is_active", "password1", "password2"]
    # Django's own texts call a password "sandi" in Indonesian.
    error_messages = {
        **SetPasswordMixin.error_messages,
        "password_mismatch": _("The two passwords do not match. Type the same password in both fields."),
    }

    class Meta:
        model = get_user_model()
        fields = ["username", "email", "is_active"]
        help_texts = {
            # In place of Django's, whose Indonesian reads "150 karakter atau sedikit".
            "username": _("At most 150 characters: letters, digits and @ . + - _"),
            "is_active": _("Untick Active to stop this user from logging in. Nothing they saved is removed."),
        }

    def __init__(self, *args, editor, **kwargs):
        super().__init__(*args, **kwargs)
        self.editor = editor
        self.is_new = self.instance.pk is None
        self.group_keys = set()
        self.fields["password1"], self.fields["password2"] = self.create_password_fields(
            label1=_("Password") if self.is_new else pgettext_lazy("password form", "New password"),
            label2=_("Repeat the password") if self.is_new else _("Repeat the new password"),
        )
        # Only the rules that apply to staff, so not the portal's customer ID rule.
        self.fields["password1"].help_text = password_rules_html(self.instance)
        self.fields["password2"].help_text = _("Type the password again, to check it.")
        if self.is_new:
            self.fields["role"].initial = Role.SITE_ADMIN
            self.fields["is_active"].initial = True
        else:
            self.fields["password1"].required = False
            self.fields["password2"].required = False
            self.fields["password1"].help_text = format_html(
                "{} {}", _("Leave both empty to keep the current password."), self.fields["password1"].help_text
            )
            self._set_initial_from_user()

    def _set_initial_from_user(self):
        user = self.instance
        self.group_keys = group_permission_keys(user)
        direct_keys = direct_permission_keys(user)
        self.initial["full_name"] = user.get_full_name()
        self.initial["role"] = staff_role(user)
        self.initial["sites"] = list(user.managed_sites.all())
        # Only direct rights are ticked, because unticking cannot remove a group's.
        self.initial["rights"] = [right for right in RIGHTS if right in direct_keys]
        if user.groups.exists():
            self.fields["rights"].help_text = _(
                "Only for a site admin. Admins hold every right. Rights granted to this user's groups in the "
                "Django admin stay, whatever is ticked here."
            )

    def clean_username(self):
        # NFKC first, as the model does on save: "ＡＤＭＩＮ" is then "ADMIN".
        # NOTE: SQLite's iexact folds ASCII letters only, so "Büdi" and "BÜDI" both pass there.
        username = get_user_model().normalize_username(self.cleaned_data["username"])
        staff_username_check(username, previous=None if self.is_new else self.instance.username)
        others = get_user_model().objects.filter(username__iexact=username).exclude(pk=self.instance.pk)
        if others.exists():
            # A second "Budi" next to "budi" would only confuse at login.
            raise forms.ValidationError(
                get_user_model()._meta.get_field("username").error_messages["unique"], code="unique"
            )
        return username

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")

        if role == Role.ADMIN:
            cleaned["sites"] = []
            cleaned["rights"] = []
        elif role == Role.SITE_ADMIN:
            if not cleaned.get("sites"):
                self.add_error("sites", _("Choose at least one site for a site admin."))
            if not self.is_new and ADMIN_PERMISSION in self.group_keys:
                self.add_error(
                    "role",
                    _("This user is an admin through a group. Remove them from it in the Django admin first."),
                )

        if self.instance.pk == self.editor.pk:
            # So the editor, and with them the last admin, cannot lock themselves out.
            if role == Role.SITE_ADMIN:
                self.add_error("role", _("You cannot make yourself a site admin. Ask another admin to do it."))
            if not cleaned.get("is_active"):
                self.add_error("is_active", _("You cannot deactivate your own account."))

        self.validate_passwords()
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        # The similarity check compares the password with these fields, so
        # they go on the instance first.
        self.instance.first_name = self.cleaned_data.get("full_name", "")
        self.instance.last_name = ""
        self.validate_password_for_user(self.instance)

    def save(self):
        """Save the user with their role, sites, rights and new password, if any."""
        user = super().save(commit=False)
        return staff_save(
            user,
            editor=self.editor,
            role=self.cleaned_data["role"],
            sites=self.cleaned_data["sites"],
            rights=self.cleaned_data["rights"],
            password=self.cleaned_data.get("password1"),
        )
