"""Report categories kept in the console: the services (audited, one transaction, nothing written
when refused), the question rules with the row and field they name, the code that stays once
reports use it, who may keep global categories (MANAGE_CIVIC over the deployment's region), and
the pages in Chinese. The stored questions keep the shape Open311 publishes."""

from __future__ import annotations

import pytest
from django.utils import translation

from warmbee.audit.models import AuditEvent
from warmbee.civic import open311, routing, selectors, services
from warmbee.civic.models import Category
from warmbee.core.errors import DomainError, Forbidden

pytestmark = pytest.mark.django_db

DEPTH = {
    "code": "depth",
    "datatype": "singlevaluelist",
    "description": "积水深度",
    "required": True,
    "values": [{"key": "ankle", "name": "没过脚踝"}, {"key": "knee", "name": "没过膝盖"}],
    "order": 1,
}


def events(action=None):
    qs = AuditEvent.objects.order_by("id")
    return qs.filter(action=action) if action else qs


def create(actor, **kw):
    values = {
        "code": "waterlogging",
        "name": "道路积水",
        "name_en": "Waterlogging",
        "ack_hours": 2,
        "resolve_hours": 24,
    }
    return services.category_create(actor=actor, **(values | kw))


@pytest.fixture
def english():
    with translation.override("en"):
        yield


# --- services ------------------------------------------------------------------------------------
def test_the_city_officer_creates_a_category_that_routing_and_open311_see(personas, english):
    officer = personas["city_officer"]
    assert routing.config().category("waterlogging") is None
    category = create(officer, icon="🌊", group="城市管理", questions=[DEPTH], sort=4)
    assert Category.objects.get().questions == [DEPTH]
    # The snapshot was invalidated by the save: intake sees the new category at once.
    assert routing.config().category("waterlogging").pk == category.pk
    assert [s["service_code"] for s in open311_services()] == ["waterlogging"]
    definition = open311.definition_json(category)
    assert definition["attributes"][0] | {"variable": True} == {
        "variable": True,
        "code": "depth",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "积水深度",
        "values": DEPTH["values"],
    }
    event = events("civic.category_create").get()
    assert (event.actor_id, event.region_id, event.target_id) == (
        officer.pk,
        "230600",
        str(category.pk),
    )
    assert event.changes["code"] == [None, "waterlogging"]
    assert event.changes["questions"] == [None, [DEPTH]]
    assert event.changes["is_active"] == [None, True]


def open311_services():
    return [open311.service_json(c) for c in selectors.categories()]


def test_an_update_is_audited_with_what_changed_and_reaches_routing(personas, english):
    officer = personas["city_officer"]
    category = create(officer)
    routing.config()  # built before the change
    services.category_update(
        actor=officer, category=category, name="路面积水", questions=[DEPTH], ack_hours=1
    )
    assert routing.config().category("waterlogging").name == "路面积水"
    event = events("civic.category_update").get()
    assert event.changes == {
        "name": ["道路积水", "路面积水"],
        "questions": [[], [DEPTH]],
        "ack_hours": [2, 1],
    }
    # The same values again change nothing and write no audit row.
    services.category_update(actor=officer, category=category, name="路面积水", questions=[DEPTH])
    assert events("civic.category_update").count() == 1


def test_the_code_stays_once_reports_use_it(personas, english, submit, categories):
    officer = personas["city_officer"]
    road = categories["road"]
    services.category_update(actor=officer, category=road, code="road-hazard")
    assert Category.objects.get(pk=road.pk).code == "road-hazard"
    submit(personas["courier"], category="manhole")
    audits = events().count()
    with pytest.raises(DomainError) as exc:
        services.category_update(
            actor=officer, category=categories["manhole"], code="cover", name="井盖"
        )
    assert (exc.value.code, exc.value.field) == ("code_in_use", "code")
    assert str(exc.value.message) == (
        "Reports already use the code “manhole”, so it cannot change: integrations and the "
        "reports refer to it."
    )
    assert Category.objects.get(pk=categories["manhole"].pk).name == "井盖缺失"
    assert events().count() == audits
    # Everything else of a category in use may still change.
    services.category_update(actor=officer, category=categories["manhole"], name="井盖")
    assert Category.objects.get(pk=categories["manhole"].pk).name == "井盖"


def test_retiring_takes_it_off_the_form_and_open311_and_back(personas, english, client):
    officer = personas["city_officer"]
    category = create(officer)
    services.category_set_active(actor=officer, category=category, active=False)
    assert selectors.categories() == [] and routing.config().category("waterlogging") is None
    assert client.get("/open311/v2/services/waterlogging.json").status_code == 404
    with translation.override("en"):
        with pytest.raises(DomainError) as exc:
            services.category_set_active(actor=officer, category=category, active=False)
        assert (exc.value.code, str(exc.value.message)) == (
            "unchanged",
            "This category is already retired.",
        )
    services.category_set_active(actor=officer, category=category, active=True)
    assert client.get("/open311/v2/services/waterlogging.json").status_code == 200
    assert [e.action for e in events()] == [
        "civic.category_create",
        "civic.category_retire",
        "civic.category_reinstate",
    ]
    assert Category.objects.count() == 1  # never deleted


@pytest.mark.parametrize(
    "persona",
    ["district_officer", "other_district", "community_officer", "province_officer", "courier"],
)
def test_only_managers_of_the_deployments_region_keep_categories(personas, english, persona):
    keeper = personas["city_officer"]
    category = create(keeper)
    before, audits = list(Category.objects.values()), events().count()
    actor = personas[persona]
    for write in (
        lambda: create(actor, code="other"),
        lambda: services.category_update(actor=actor, category=category, name="改"),
        lambda: services.category_set_active(actor=actor, category=category, active=False),
    ):
        with pytest.raises(Forbidden):
            write()
    assert list(Category.objects.values()) == before and events().count() == audits


def test_a_deployment_serving_another_region_has_other_keepers(personas, english, settings):
    settings.HOME_REGION = "230000"  # the province: no city grant covers it
    with pytest.raises(Forbidden):
        create(personas["city_officer"])
    settings.HOME_REGION = "999999"  # not loaded: nobody (fail closed)
    assert not selectors.may_manage_categories(personas["city_officer"])
    assert not Category.objects.exists()


@pytest.mark.parametrize(
    ("question", "field", "message"),
    [
        ({"code": ""}, "questions-0-code", "Question 1: give the question a code."),
        (
            {"code": "水 深"},
            "questions-0-code",
            "Question 1: the code may only hold letters, digits, hyphens and underscores, at "
            "most 40 of them.",
        ),
        ({"datatype": "boolean"}, "questions-0-datatype", "Question 1: choose the kind of answer."),
        (
            {"description": "  "},
            "questions-0-description",
            "Question 1: write the question people will see.",
        ),
        (
            {"values": []},
            "questions-0-values",
            "Question 1: a list question needs at least one choice.",
        ),
        (
            {"datatype": "number"},
            "questions-0-values",
            "Question 1: only a list question has choices: remove them or choose a list.",
        ),
        (
            {"values": [{"key": "a", "name": "甲"}, {"key": "a", "name": "乙"}]},
            "questions-0-values",
            "Question 1: the choice key “a” is used twice.",
        ),
        (
            {"values": [{"key": "a", "name": ""}]},
            "questions-0-values",
            "Question 1: each choice needs a key and a name.",
        ),
        (
            {"order": "-1"},
            "questions-0-order",
            "Question 1: the order is a whole number, 0 or more.",
        ),
    ],
    ids=[
        "no-code",
        "code-not-a-slug",
        "datatype",
        "no-text",
        "list-without-choices",
        "choices-on-a-number",
        "duplicate-keys",
        "choice-without-name",
        "negative-order",
    ],
)
def test_a_bad_question_names_its_row_and_field_and_writes_nothing(
    personas, english, question, field, message
):
    with pytest.raises(DomainError) as exc:
        create(personas["city_officer"], questions=[DEPTH | question])
    assert (exc.value.field, str(exc.value.message)) == (field, message)
    assert not Category.objects.exists() and not events().exists()


def test_two_questions_with_one_code_name_the_second_row(personas, english):
    second = DEPTH | {"description": "再问一次", "order": 2}
    with pytest.raises(DomainError) as exc:
        create(personas["city_officer"], questions=[DEPTH, second])
    assert (exc.value.field, str(exc.value.message)) == (
        "questions-1-code",
        "Question 2: the code “depth” is already used by question 1.",
    )
    assert not Category.objects.exists()


def test_questions_are_stored_in_the_open311_shape_in_their_order():
    stored = services.clean_questions(
        [
            {"code": " note ", "datatype": "text", "description": " 补充 ", "order": "5"},
            {**DEPTH, "required": "on", "order": 2, "extra": "dropped"},
            {"code": "when", "datatype": "datetime", "description": "发现时间", "values": []},
        ]
    )
    assert [list(q) for q in stored] == [
        ["code", "datatype", "description", "required", "values", "order"]
    ] * 3
    assert [(q["code"], q["order"], q["required"]) for q in stored] == [
        ("depth", 2, True),
        ("when", 3, False),  # no order: its row number
        ("note", 5, False),
    ]
    assert stored[2]["description"] == "补充" and stored[2]["values"] == []


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"code": "manhole"}, "code", "duplicate_category"),
        ({"code": "井盖"}, "code", "invalid"),
        ({"name": " "}, "name", "required"),
        ({"name_en": ""}, "name_en", "required"),
        ({"ack_hours": 0}, "ack_hours", "invalid"),
        ({"ack_hours": 48, "resolve_hours": 24}, "resolve_hours", "resolve_before_ack"),
    ],
    ids=[
        "duplicate-code",
        "code-not-a-slug",
        "no-name",
        "no-english-name",
        "zero-hours",
        "fix-first",
    ],
)
def test_a_bad_category_names_its_field(personas, english, categories, fields, field, code):
    before, audits = Category.objects.count(), events().count()
    with pytest.raises(DomainError) as exc:
        create(personas["city_officer"], **fields)
    assert (exc.value.field, exc.value.code) == (field, code)
    assert Category.objects.count() == before and events().count() == audits


# --- pages ---------------------------------------------------------------------------------------
def post_data(**over) -> dict:
    data = {
        "code": "waterlogging",
        "name": "道路积水",
        "name_en": "Waterlogging",
        "description": "",
        "icon": "🌊",
        "group": "城市管理",
        "ack_hours": "2",
        "resolve_hours": "24",
        "sort": "4",
        "questions-TOTAL_FORMS": "3",
        "questions-INITIAL_FORMS": "0",
        "questions-0-code": "depth",
        "questions-0-description": "积水深度",
        "questions-0-datatype": "singlevaluelist",
        "questions-0-required": "on",
        "questions-0-order": "1",
        "questions-0-values": "ankle=没过脚踝\r\n\r\nknee = 没过膝盖\r\n",
        # An untouched empty row (as rendered) is not a question.
        "questions-1-datatype": "string",
        "questions-2-code": "cars",
        "questions-2-description": "被困车辆数",
        "questions-2-datatype": "number",
    }
    return data | over


def test_the_list_shows_deadlines_questions_and_use(
    as_persona, personas, categories, submit, django_assert_max_num_queries
):
    submit(personas["courier"], category="manhole")
    services.category_set_active(
        actor=personas["city_officer"], category=categories["road"], active=False
    )
    client = as_persona("city_officer")
    with django_assert_max_num_queries(8):
        r = client.get("/console/civic/categories/")
    assert r.status_code == 200 and r.context["page"].paginator.count == 3
    rows = {c.code: c for c in r.context["page"]}
    assert rows["manhole"].in_reports and not rows["streetlight"].in_reports
    assert [c.code for c in r.context["page"]] == ["manhole", "streetlight", "road"]
    page = r.content.decode()
    assert "问题类别" in page and "井盖缺失" in page and "24 小时" in page and "已停用" in page


def test_create_edit_retire_and_reinstate_on_the_pages(as_persona, client):
    officer = as_persona("city_officer")
    form = officer.get("/console/civic/categories/new/")
    assert form.status_code == 200 and "问题 1" in form.content.decode()
    r = officer.post("/console/civic/categories/new/", post_data())
    assert r.status_code == 302 and r["Location"] == "/console/civic/categories/"
    assert [str(m) for m in r.wsgi_request._messages] == ["问题类别已保存。"]
    category = Category.objects.get()
    assert category.questions == [
        DEPTH,
        {
            "code": "cars",
            "datatype": "number",
            "description": "被困车辆数",
            "required": False,
            "values": [],
            "order": 3,
        },
    ]
    body = client.get("/open311/v2/services/waterlogging.json").json()
    assert [a["code"] for a in body["attributes"]] == ["depth", "cars"]
    # The edit page shows the questions as rows, the choices as key=name lines.
    edit = f"/console/civic/categories/{category.pk}/"
    page = officer.get(edit).content.decode()
    assert "ankle=没过脚踝\nknee=没过膝盖" in page and 'value="cars"' in page
    data = post_data(
        name="路面积水",
        **{
            "questions-TOTAL_FORMS": "4",
            "questions-INITIAL_FORMS": "2",
            "questions-1-code": "cars",
            "questions-1-description": "被困车辆数",
            "questions-1-datatype": "number",
            "questions-1-DELETE": "on",
            "questions-2-code": "",
            "questions-2-description": "",
            "questions-2-datatype": "string",
            "questions-3-datatype": "string",
        },
    )
    r = officer.post(edit, data)
    assert r.status_code == 302
    category.refresh_from_db()
    assert (category.name, category.questions) == ("路面积水", [DEPTH])
    confirm = officer.get(f"/console/civic/categories/{category.pk}/retire/")
    assert confirm.status_code == 200 and "停用这个问题类别？" in confirm.content.decode()
    assert Category.objects.get().is_active
    r = officer.post(f"/console/civic/categories/{category.pk}/retire/")
    assert [str(m) for m in r.wsgi_request._messages] == ["问题类别已停用。"]
    assert not Category.objects.get().is_active
    assert "该类别已停用" in officer.get(edit).content.decode()
    r = officer.post(f"/console/civic/categories/{category.pk}/reinstate/")
    assert [str(m) for m in r.wsgi_request._messages] == ["问题类别已重新启用。"]
    assert Category.objects.get().is_active
    assert [e.action for e in events()] == [
        "civic.category_create",
        "civic.category_update",
        "civic.category_retire",
        "civic.category_reinstate",
    ]


@pytest.mark.parametrize(
    ("data", "row", "field", "message"),
    [
        ({"questions-0-code": ""}, 0, "code", "问题 1：请填写问题代码。"),
        (
            {"questions-2-code": "depth"},
            2,
            "code",
            "问题 3：代码“depth”已被问题 1 使用。",
        ),
        (
            {"questions-0-datatype": "boolean"},
            0,
            "datatype",
            "选择一个有效的选项。 boolean 不在可用的选项中。",
        ),
        ({"questions-0-values": ""}, 0, "values", "问题 1：列表题至少需要一个选项。"),
        (
            {"questions-0-values": "ankle=没过脚踝\nknee"},
            0,
            "values",
            "问题 1，第 2 行：每个选项请写成“键=名称”。",
        ),
        (
            {"questions-0-values": "a=甲\na=乙"},
            0,
            "values",
            "问题 1：选项键“a”重复了。",
        ),
        (
            {"questions-2-values": "a=甲"},
            2,
            "values",
            "问题 3：只有列表题才有选项：请删除选项，或改选列表类型。",
        ),
        ({"questions-2-description": ""}, 2, "description", "问题 3：请填写向上报人提出的问题。"),
    ],
    ids=[
        "no-code",
        "duplicate-code",
        "datatype",
        "list-without-choices",
        "choice-not-key-name",
        "duplicate-keys",
        "choices-on-a-number",
        "no-text",
    ],
)
def test_a_refused_question_is_shown_on_its_row_and_field(as_persona, data, row, field, message):
    r = as_persona("city_officer").post("/console/civic/categories/new/", post_data(**data))
    assert r.status_code == 400
    assert r.context["form"].questions.forms[row].errors[field] == [message]
    assert message in r.content.decode()
    assert not Category.objects.exists() and not events().exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"code": "manhole"}, "code", "已有另一个类别使用代码“manhole”。"),
        ({"name": ""}, "name", "此项为必填项。"),
        ({"ack_hours": "48"}, "resolve_hours", "解决时限不能短于受理时限。"),
    ],
    ids=["duplicate-code", "no-name", "fix-before-acknowledging"],
)
def test_a_refused_category_names_its_field(as_persona, categories, data, field, message):
    before = Category.objects.count()
    r = as_persona("city_officer").post("/console/civic/categories/new/", post_data(**data))
    assert r.status_code == 400
    assert r.context["form"].errors[field] == [message]
    assert Category.objects.count() == before and not events().exists()


def test_the_page_refuses_a_new_code_for_a_category_in_use(
    as_persona, personas, categories, submit
):
    submit(personas["courier"], category="manhole")
    manhole = categories["manhole"]
    r = as_persona("city_officer").post(
        f"/console/civic/categories/{manhole.pk}/",
        post_data(code="cover", name="井盖缺失", name_en="Missing manhole cover"),
    )
    assert r.status_code == 400
    assert r.context["form"].errors["code"] == [
        "已有上报使用代码“manhole”，不能修改：对接系统和上报记录都引用它。"
    ]
    assert (
        Category.objects.get(pk=manhole.pk).code == "manhole"
        and not events("civic.category_update").exists()
    )


@pytest.mark.parametrize(
    "persona",
    ["district_officer", "other_district", "community_officer", "province_officer", "courier"],
)
def test_the_pages_do_not_exist_for_anyone_else(as_persona, categories, persona):
    client = as_persona(persona)
    pk = categories["manhole"].pk
    for url in (
        "/console/civic/categories/",
        "/console/civic/categories/new/",
        f"/console/civic/categories/{pk}/",
        f"/console/civic/categories/{pk}/retire/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/console/civic/categories/new/", post_data()).status_code == 404
    assert client.post(f"/console/civic/categories/{pk}/retire/").status_code == 404
    assert Category.objects.get(pk=pk).is_active and Category.objects.count() == 3
    assert not events().exists()
    assert as_persona("anonymous").get("/console/civic/categories/").status_code == 302
    assert as_persona("city_officer").get("/console/civic/categories/99999/").status_code == 404


def test_the_navigation_links_the_categories_for_their_keepers_only(as_persona):
    link = "/console/civic/categories/"
    for url in ("/console/reports/", "/console/civic/routing/", "/console/civic/api-keys/"):
        assert link in as_persona("city_officer").get(url).content.decode(), url
        assert link not in as_persona("district_officer").get(url).content.decode(), url


def test_the_edit_page_offers_more_question_rows_from_the_empty_form(as_persona, categories):
    page = as_persona("city_officer").get(f"/console/civic/categories/{categories['road'].pk}/")
    html = page.content.decode()
    assert '<template id="civic-question-template">' in html
    assert 'name="questions-__prefix__-code"' in html  # the row the button copies
    assert 'id="civic-question-add" data-prefix="questions" data-max="20"' in html
    assert "warmbee/civic-category" in html and "添加问题" in html
