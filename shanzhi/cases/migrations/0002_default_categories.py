from django.db import migrations


def seed(apps, schema_editor):
    from shanzhi.cases.defaults import ensure_default_categories

    ensure_default_categories(apps.get_model("cases", "Category"), apps.get_model("areas", "Department"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial"), ("areas", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
