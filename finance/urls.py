from django.urls import path

from finance import views

app_name = "finance"
urlpatterns = [
    path("", views.index, name="index"),
    path("check/", views.check_now, name="check_now"),
    path("archive/", views.archive, name="archive"),
    path("payouts/<int:payout_id>/", views.payout, name="payout"),
    path("reports/new/", views.report_new, name="report_new"),
    path("reports/<int:report_id>/", views.report, name="report"),
    path("reports/<int:report_id>/download/", views.report_download, name="report_download"),
]
