"""Casework forms: shapes only; the rules are in ``services``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Channel, ContactBy, EntryKind, Kind, Outcome, ReferralTarget, Urgency
from .rules import SHARING_NOTICE
from .services import DESCRIPTION_MAX, ENTRY_MAX


class AskForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What do you need help with?"), choices=Kind.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("What happened? A few sentences are enough."),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    urgency = forms.ChoiceField(
        label=_("How urgent is it?"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
    )
    contact_by = forms.ChoiceField(
        label=_("How should the desk contact you?"),
        choices=ContactBy.choices,
        initial=ContactBy.PHONE,
    )
    consent = forms.BooleanField(
        label=_("I agree to share this request with the desk"),
        required=False,
        help_text=SHARING_NOTICE,
    )


class OnBehalfForm(AskForm):
    channel = forms.ChoiceField(
        label=_("How did the request come in?"),
        choices=[c for c in Channel.choices if c[0] != Channel.SELF],
    )
    contact_name = forms.CharField(label=_("Worker's name"), max_length=64)
    contact_phone = forms.CharField(label=_("Worker's mobile number"), max_length=20)
    region = forms.ChoiceField(label=_("Worker's district or street"))

    field_order = [
        "channel",
        "contact_name",
        "contact_phone",
        "region",
        "kind",
        "description",
        "urgency",
        "contact_by",
        "consent",
    ]

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, r.name) for r in regions]
        self.fields["consent"].label = _("The worker agrees to share this request with the desk")


class EntryForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Add"),
        choices=[
            (k, label)
            for k, label in EntryKind.choices
            if k in (EntryKind.CONTACT, EntryKind.ACTION, EntryKind.NOTE, EntryKind.MESSAGE)
        ],
        initial=EntryKind.NOTE,
    )
    body = forms.CharField(
        label=_("Text"), max_length=ENTRY_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Write to the desk"), max_length=ENTRY_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (o, label)
            for o, label in Outcome.choices
            if o in (Outcome.RESOLVED, Outcome.UNREACHABLE)
        ],
    )
    note = forms.CharField(
        label=_("Closing message to the worker"),
        required=False,
        max_length=ENTRY_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReferForm(forms.Form):
    target = forms.ChoiceField(label=_("Refer to"), choices=ReferralTarget.choices)
    target_name = forms.CharField(label=_("Name of the service"), required=False, max_length=100)
    consent = forms.BooleanField(
        label=_("The worker agrees to share the case with this service"), required=False
    )
    note = forms.CharField(
        label=_("Message to the worker"),
        required=False,
        max_length=ENTRY_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AssignForm(forms.Form):
    provider = forms.ChoiceField(label=_("Provider"))

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(m.user_id, m.user.name) for m in members]


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the help?"),
        choices=[(i, "★" * i) for i in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why reopen it?"),
        required=False,
        max_length=ENTRY_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DeskMemberForm(forms.Form):
    desk = forms.ChoiceField(label=_("Desk"))
    phone = forms.CharField(label=_("Provider's mobile number"), max_length=20)
    is_supervisor = forms.BooleanField(label=_("Supervisor of the desk"), required=False)

    def __init__(self, *args, desks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["desk"].choices = [
            (d.pk, f"{d.region.name} · {d.get_desk_display()}") for d in desks
        ]
