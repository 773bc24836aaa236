"""Counting Graph calls in sandbox tests: what the sandbox received and what our journal wrote."""

from graph.models import GraphCall


def attempts(sandbox, path, method=None):
    """(calls the sandbox received, GraphCall rows we wrote) for this unversioned path."""
    received = sandbox.requests(path=path, method=method)
    rows = GraphCall.objects.filter(path=path)
    if method:
        rows = rows.filter(method=method)
    return len(received), rows.count()


def journal(path):
    return list(GraphCall.objects.filter(path=path).order_by("pk"))
