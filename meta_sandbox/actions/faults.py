"""Armed faults: list, arm (validated like the console's form), clear one or all."""

from __future__ import annotations

from ..faults import validate
from ..models import Fault
from . import not_found


def faults() -> list[dict]:
    return [f.as_dict() for f in Fault.objects.order_by("pk")]


def arm_fault(definition: dict) -> dict:
    """Arm a fault (`path`, `kind`, ...: see meta_sandbox/faults.py); ValueError if malformed."""
    return Fault.objects.create(**validate(definition)).as_dict()


def clear_faults() -> None:
    Fault.objects.all().delete()


def delete_fault(fault_id: int) -> None:
    deleted, _ = Fault.objects.filter(pk=fault_id).delete()
    if not deleted:
        raise not_found("fault", fault_id)
