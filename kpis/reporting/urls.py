from django.urls import path

from kpis.reporting import views

app_name = "kpis"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:year>/", views.dashboard, name="dashboard"),
    path("<int:year>/report/", views.annual_report, name="report"),
    path("<int:year>/report.pdf", views.annual_report_pdf, name="report_pdf"),
    path("<int:year>/figures.json", views.figures_json, name="figures_json"),
    path("<int:year>/figures.csv", views.figures_csv, name="figures_csv"),
    path("<int:year>/figures.xlsx", views.figures_xlsx, name="figures_xlsx"),
    path("figures.csv", views.figures_csv, name="all_figures_csv"),
    path("figures.xlsx", views.figures_xlsx, name="all_figures_xlsx"),
    path("network/logo", views.network_logo, name="network_logo"),
    path("network.css", views.network_css, name="network_css"),
]
