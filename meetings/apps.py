from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = "Meetings and webinars"

    def ready(self) -> None:
        # The writes bulk jobs may make on meetings, webinars, registrants and recordings, and
        # the offboarding of users (zoomadmin.jobs.operations).
        from meetings import operations  # noqa: F401
