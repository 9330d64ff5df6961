from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ExportRequestForm(forms.Form):
    filters = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)
    reason = forms.CharField(
        label=_("Why do you need the full personal data?"),
        min_length=2,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ExportDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
