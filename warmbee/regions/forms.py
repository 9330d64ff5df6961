from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from .models import Region


class GridFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Code, name or community"), required=False, max_length=80
    )
    region = forms.ChoiceField(label=gettext_lazy("Region"), required=False)

    def __init__(self, *args, regions: list[Region], **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = {r.code: r for r in regions}
        self.fields["region"].choices = [("", gettext_lazy("All regions in my area"))] + [
            (r.code, f"{r.name} ({r.code})") for r in regions
        ]

    def filters(self) -> dict:
        """Keyword arguments for ``selectors.grid_area_list``; a region that is not a choice
        (outside scope) is dropped, never widened."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"q": data.get("q") or "", "region": self.regions.get(data.get("region") or "")}


class GridImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("GeoJSON file"),
        help_text=gettext_lazy(
            "A FeatureCollection of Polygon or MultiPolygon features in WGS-84, each with the "
            "properties code, name and community."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json"}),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: check the file without saving anything"),
        required=False,
        initial=True,
    )
