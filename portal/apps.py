from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"

    def ready(self):
        from django_q.signals import post_spawn

        post_spawn.connect(beat_at_spawn, dispatch_uid="portal.worker_heartbeat_at_spawn")


def beat_at_spawn(sender, proc_name=None, **kwargs):
    """A worker process beats once as it starts, so /healthz is healthy as soon as the worker is up
    (the schedule's beat every minute keeps it so). A failed beat must not stop the worker."""
    from portal.tasks import heartbeat

    try:
        heartbeat()
    except Exception:  # the database may not be reachable yet; the scheduled beat follows
        import logging

        logging.getLogger(__name__).warning("worker heartbeat at spawn failed", exc_info=True)
