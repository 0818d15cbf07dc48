from django.urls import path

from kpis import views

app_name = "kpis"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:year>/", views.dashboard, name="dashboard"),
    path("<int:year>/report/", views.annual_report, name="report"),
    path("<int:year>/figures.json", views.figures_json, name="figures_json"),
]
