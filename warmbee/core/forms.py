"""Forms shared by every app's console."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from . import tabular


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "An Excel workbook (.xlsx) or a CSV file, laid out as the template."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("If some rows have errors"),
        choices=[
            (tabular.ALL_OR_NOTHING, gettext_lazy("Import nothing (all or nothing)")),
            (tabular.VALID_ONLY, gettext_lazy("Import the valid rows only")),
        ],
        initial=tabular.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: check the file without saving anything"),
        required=False,
        initial=True,
    )
