"""The kernel: the leaf every other package may use and that imports none of them.

Exact money (`money`, `forms.MoneyField`, the `money` template filter), secrets at rest
(`crypto`), log redaction (`redaction`), the job skeleton and leases (`jobs`, `models`), the
issue-card protocol (`issues`), keyset paging (`paging`) and admin helpers (`admin`).
"""
