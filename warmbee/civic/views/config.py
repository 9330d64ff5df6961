"""Staff pages for the civic configuration: the routing table, response templates, Open311
API keys and report categories (ADR 0013). Everything needs ``MANAGE_CIVIC`` (district and city
officers); rows outside the officer's scope are 404. Categories are global (see
``category_list``): only MANAGE_CIVIC over the deployment's region reaches them.

Thin views (STYLE.md): reads through ``civic.selectors``, writes through ``civic.services``.
A refused form is the client's error: 400, and nothing was written. Taking a rule or template
out of use and revoking a key ask for confirmation first (GET shows the question, POST acts).
An API key is shown once, on the page that answers the POST that created it: it is stored only
as a hash and never shown again.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from warmbee.accounts.roles import Perm
from warmbee.core.errors import DomainError
from warmbee.core.pi import mask_name
from warmbee.core.views import (
    action_post,
    attach_error,
    console_required,
    form_post,
    raise_unless_input,
)

from .. import selectors, services
from ..forms import (
    ApiKeyForm,
    CategoryForm,
    RuleFilterForm,
    RuleForm,
    TemplateFilterForm,
    TemplateForm,
)

PAGE_SIZE = 50


def _listing(request, template: str, form, qs, **extra):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    if request.htmx:
        template += "#results"
    context = {"form": form, "page": page, **_nav(request), **extra}
    return TemplateResponse(request, template, context)


def _nav(request) -> dict:
    """What the configuration's navigation links (the categories only for who may keep them)."""
    return {"can_manage_categories": selectors.may_manage_categories(request.user)}


def _form_page(request, template: str, context: dict):
    """The form again: 400 when a POST was refused (nothing was written)."""
    status = 400 if request.method == "POST" else 200
    return render(request, template, context, status=status)


def _form_view(request, form, save, *, done: str, to: str, template: str, context: dict):
    """A create or edit page: on a valid POST ``save(**fields)`` through the service, then back
    to the list ``to``; a rule the service refuses is shown on its field (400)."""
    return form_post(
        request,
        form,
        lambda: save(**form.fields_for_service()),
        done=done,
        to=to,
        page=lambda form: _form_page(request, template, {"form": form, **context}),
    )


def _confirm(request, *, title: str, text: str, button: str, back: str):
    return render(
        request,
        "civic/console_confirm.html",
        {"title": title, "text": text, "button": button, "back": back},
    )


# --- the routing table ---------------------------------------------------------------------------
@console_required(Perm.MANAGE_CIVIC)
def rule_list(request):
    form = RuleFilterForm(request.GET or None, actor=request.user)
    qs = selectors.routing_rules(actor=request.user, **form.filters())
    return _listing(request, "civic/console_rules.html", form, qs)


@never_cache
@console_required(Perm.MANAGE_CIVIC)
def rule_create(request):
    return _form_view(
        request,
        RuleForm(request.POST or None, actor=request.user),
        lambda **fields: services.routing_rule_create(actor=request.user, **fields),
        done=_("The routing rule is saved."),
        to="civic:console_rules",
        template="civic/console_rule_form.html",
        context={"rule": None},
    )


@never_cache
@console_required(Perm.MANAGE_CIVIC)
def rule_edit(request, pk: int):
    rule = selectors.access_rule(request.user, pk)
    return _form_view(
        request,
        RuleForm(request.POST or None, actor=request.user, rule=rule),
        lambda **fields: services.routing_rule_update(actor=request.user, rule=rule, **fields),
        done=_("The routing rule is saved."),
        to="civic:console_rules",
        template="civic/console_rule_form.html",
        context={"rule": rule},
    )


@require_http_methods(["GET", "POST"])
@console_required(Perm.MANAGE_CIVIC)
def rule_deactivate(request, pk: int):
    rule = selectors.access_rule(request.user, pk)
    back = reverse("civic:console_rule_edit", args=[rule.pk])
    if request.method == "GET":
        return _confirm(
            request,
            title=_("Stop using this routing rule?"),
            text=_(
                "New reports will be routed as if the rule “%(body)s” did not exist. The rule "
                "stays in the table and can be used again."
            )
            % {"body": rule.body},
            button=_("Stop using it"),
            back=back,
        )
    return action_post(
        request,
        lambda: services.routing_rule_set_active(actor=request.user, rule=rule, active=False),
        done=_("The routing rule is out of use."),
        to=back,
    )


@require_POST
@console_required(Perm.MANAGE_CIVIC)
def rule_reactivate(request, pk: int):
    rule = selectors.access_rule(request.user, pk)
    return action_post(
        request,
        lambda: services.routing_rule_set_active(actor=request.user, rule=rule, active=True),
        done=_("The routing rule is in use again."),
        to=reverse("civic:console_rule_edit", args=[rule.pk]),
    )


# --- response templates --------------------------------------------------------------------------
@console_required(Perm.MANAGE_CIVIC)
def template_list(request):
    form = TemplateFilterForm(request.GET or None, actor=request.user)
    qs = selectors.response_templates(actor=request.user, **form.filters())
    return _listing(request, "civic/console_templates.html", form, qs)


@never_cache
@console_required(Perm.MANAGE_CIVIC)
def template_create(request):
    return _form_view(
        request,
        TemplateForm(request.POST or None, actor=request.user),
        lambda **fields: services.response_template_create(actor=request.user, **fields),
        done=_("The response template is saved."),
        to="civic:console_templates",
        template="civic/console_template_form.html",
        context={"template": None},
    )


@never_cache
@console_required(Perm.MANAGE_CIVIC)
def template_edit(request, pk: int):
    template = selectors.access_template(request.user, pk)
    return _form_view(
        request,
        TemplateForm(request.POST or None, actor=request.user, template=template),
        lambda **fields: services.response_template_update(
            actor=request.user, template=template, **fields
        ),
        done=_("The response template is saved."),
        to="civic:console_templates",
        template="civic/console_template_form.html",
        context={"template": template},
    )


@require_http_methods(["GET", "POST"])
@console_required(Perm.MANAGE_CIVIC)
def template_retire(request, pk: int):
    template = selectors.access_template(request.user, pk)
    back = reverse("civic:console_template_edit", args=[template.pk])
    if request.method == "GET":
        return _confirm(
            request,
            title=_("Retire this response template?"),
            text=_(
                "Staff will no longer be offered “%(title)s”. It stays in the list and can be "
                "put back in use."
            )
            % {"title": template.title},
            button=_("Retire it"),
            back=back,
        )
    return action_post(
        request,
        lambda: services.response_template_set_active(
            actor=request.user, template=template, active=False
        ),
        done=_("The response template is retired."),
        to=back,
    )


@require_POST
@console_required(Perm.MANAGE_CIVIC)
def template_reinstate(request, pk: int):
    template = selectors.access_template(request.user, pk)
    return action_post(
        request,
        lambda: services.response_template_set_active(
            actor=request.user, template=template, active=True
        ),
        done=_("The response template is in use again."),
        to=reverse("civic:console_template_edit", args=[template.pk]),
    )


# --- Open311 API keys ----------------------------------------------------------------------------
@console_required(Perm.MANAGE_CIVIC)
def api_key_list(request):
    page = Paginator(selectors.api_clients(actor=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = list(page.object_list)
    for client in page.object_list:
        client.creator = mask_name(client.created_by.name) if client.created_by_id else ""
    return render(request, "civic/console_api_keys.html", {"page": page, **_nav(request)})


@never_cache
@console_required(Perm.MANAGE_CIVIC)
def api_key_create(request):
    form = ApiKeyForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            client, key = services.api_client_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                region=form.cleaned_data["region"],
            )
        except DomainError as exc:
            raise_unless_input(exc)
            attach_error(form, exc)
        else:
            # The only time the key exists outside the integration: not stored, not redirected
            # through the session, and the page is never cached (no-store).
            return render(
                request, "civic/console_api_key_created.html", {"client": client, "key": key}
            )
    return _form_page(request, "civic/console_api_key_form.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@console_required(Perm.MANAGE_CIVIC)
def api_key_revoke(request, pk: int):
    client = selectors.access_api_client(request.user, pk)
    back = reverse("civic:console_api_keys")
    if request.method == "GET":
        return _confirm(
            request,
            title=_("Revoke this API key?"),
            text=_(
                "“%(name)s” will no longer be able to send reports: Open311 refuses the key from "
                "now on. This cannot be undone; the integration needs a new key."
            )
            % {"name": client.name},
            button=_("Revoke the key"),
            back=back,
        )
    return action_post(
        request,
        lambda: services.api_client_revoke(actor=request.user, client=client),
        done=_("The API key “%(name)s” is revoked.") % {"name": client.name},
        to=back,
    )


# --- report categories ---------------------------------------------------------------------------
def _categories_required(request) -> None:
    if not selectors.may_manage_categories(request.user):
        raise Http404


@console_required(Perm.MANAGE_CIVIC)
def category_list(request):
    """Report categories are global — one list for the whole deployment, published as the
    Open311 services — so a district's MANAGE_CIVIC is not enough to change them. Who may:
    holders of ``MANAGE_CIVIC`` granted at or above the deployment's region
    (``settings.HOME_REGION``; in the default roles, the city officers of the city the
    deployment serves, or a grant at the country root). Everyone else gets 404, as on the other
    console pages (the system administrator holds no MANAGE_CIVIC: separation of duties)."""
    _categories_required(request)
    return _listing(
        request, "civic/console_categories.html", None, selectors.category_list(actor=request.user)
    )


@never_cache
@console_required(Perm.MANAGE_CIVIC)
def category_create(request):
    _categories_required(request)
    return _form_view(
        request,
        CategoryForm(request.POST or None, actor=request.user),
        lambda **fields: services.category_create(actor=request.user, **fields),
        done=_("The report category is saved."),
        to="civic:console_categories",
        template="civic/console_category_form.html",
        context={"category": None},
    )


@never_cache
@console_required(Perm.MANAGE_CIVIC)
def category_edit(request, pk: int):
    category = selectors.access_category(request.user, pk)
    return _form_view(
        request,
        CategoryForm(request.POST or None, actor=request.user, category=category),
        lambda **fields: services.category_update(actor=request.user, category=category, **fields),
        done=_("The report category is saved."),
        to="civic:console_categories",
        template="civic/console_category_form.html",
        context={"category": category},
    )


@require_http_methods(["GET", "POST"])
@console_required(Perm.MANAGE_CIVIC)
def category_retire(request, pk: int):
    category = selectors.access_category(request.user, pk)
    back = reverse("civic:console_category_edit", args=[category.pk])
    if request.method == "GET":
        return _confirm(
            request,
            title=_("Retire this report category?"),
            text=_(
                "Reporters and Open311 integrations will no longer be offered “%(name)s”. "
                "Reports already made keep it. It stays in the list and can be put back in use."
            )
            % {"name": category.label},
            button=_("Retire it"),
            back=back,
        )
    return action_post(
        request,
        lambda: services.category_set_active(actor=request.user, category=category, active=False),
        done=_("The report category is retired."),
        to=back,
    )


@require_POST
@console_required(Perm.MANAGE_CIVIC)
def category_reinstate(request, pk: int):
    category = selectors.access_category(request.user, pk)
    return action_post(
        request,
        lambda: services.category_set_active(actor=request.user, category=category, active=True),
        done=_("The report category is in use again."),
        to=reverse("civic:console_category_edit", args=[category.pk]),
    )
