"""The amenity vocabulary the programme's stations advertise (extensible in the admin)."""

from django.db import migrations

AMENITIES = [
    ("charging", "充电换电", "Battery charging / swap", "🔋"),
    ("microwave", "微波炉", "Microwave", "🍱"),
    ("toilet", "卫生间", "Toilet", "🚻"),
    ("water", "饮用水", "Drinking water", "💧"),
    ("seating", "休息座椅", "Seats", "🪑"),
    ("first_aid", "急救药箱", "First-aid kit", "⛑"),
    ("climate", "冷暖空调", "Heating / cooling", "❄"),
    ("drying", "衣物烘干", "Clothes drying", "👕"),
    ("wifi", "无线网络", "Wi-Fi", "📶"),
    ("books", "图书角", "Books", "📚"),
    ("films", "观影", "Films", "🎬"),
]


def seed(apps, schema_editor):
    Amenity = apps.get_model("stations", "Amenity")
    for bit, (code, name, name_en, icon) in enumerate(AMENITIES):
        Amenity.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "icon": icon, "bit": bit, "sort": bit * 10},
        )


class Migration(migrations.Migration):
    dependencies = [("stations", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
