from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .roles import Role


class LoginForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "tel"}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SetPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class ChangePasswordForm(SetPasswordForm):
    old_password = forms.CharField(
        label=_("Current password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["old_password", "password", "password2"]


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{'　' * max(obj.depth - 2, 0)}{obj.name} ({obj.code})"


class UserCreateForm(forms.Form):
    phone = forms.CharField(label=_("Mobile number"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=64)
    region = RegionChoiceField(label=_("Region"), queryset=None)
    role = forms.ChoiceField(label=_("First role"), required=False)

    def __init__(self, *args, regions, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        self.fields["role"].choices = [("", _("None"))] + [(r, Role(r).label) for r in roles]


class GrantForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))
    region = RegionChoiceField(label=_("Region"), queryset=None)

    def __init__(self, *args, regions, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        self.fields["role"].choices = [(r, Role(r).label) for r in roles]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or mobile"), required=False, max_length=64)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("Any role"))] + list(Role.choices)
    )
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), ("1", _("Active")), ("0", _("Disabled"))],
    )
