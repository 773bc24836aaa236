from django_q.models import Schedule

from portal.schedules import PREFIX, REGISTRY, Entry, sync_schedules


def _rows():
    return sorted(Schedule.objects.values_list("name", "func", "schedule_type", "minutes", "repeats"))


def test_sync_schedules_twice_leaves_the_same_rows(db):
    first = sync_schedules()
    rows = _rows()
    second = sync_schedules()
    assert first["created"] == len(REGISTRY)
    assert second == {"created": 0, "updated": 0, "deleted": 0}
    assert _rows() == rows
    assert len(rows) == len(REGISTRY)


def test_changed_and_removed_entries_are_updated_and_deleted(db):
    sync_schedules()
    Schedule.objects.create(name="someone-elses", func="x.y")
    changed = [Entry("heartbeat", "portal.tasks.heartbeat", minutes=2)]
    result = sync_schedules(changed)
    assert result == {"created": 0, "updated": 1, "deleted": len(REGISTRY) - 1}
    assert Schedule.objects.get(name=PREFIX + "heartbeat").minutes == 2
    assert Schedule.objects.filter(name="someone-elses").exists()


def test_duplicate_names_are_collapsed(db):
    sync_schedules()
    Schedule.objects.create(name=PREFIX + "heartbeat", func="portal.tasks.heartbeat")
    sync_schedules()
    assert Schedule.objects.filter(name=PREFIX + "heartbeat").count() == 1


def test_the_management_command_runs(db, capsys):
    from django.core.management import call_command

    call_command("sync_schedules")
    call_command("sync_schedules")
    assert "0 created, 0 updated, 0 deleted" in capsys.readouterr().out
