from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from api import cards, expenses, recruitment, rota, training, views, volunteers

router = DefaultRouter()
router.register("suites", views.SuiteViewSet, basename="suite")
router.register("panels", views.PanelViewSet, basename="panel")
router.register("people", views.PersonViewSet, basename="person")
router.register("checklists", views.ChecklistVersionViewSet, basename="checklist")
router.register("visits", views.VisitViewSet, basename="visit")
router.register("issues", views.IssueViewSet, basename="issue")
router.register("rota/periods", rota.RotaPeriodViewSet, basename="rota-period")
router.register("rota/slots", rota.RotaSlotViewSet, basename="rota-slot")
router.register("rota/swaps", rota.SwapViewSet, basename="rota-swap")
router.register("volunteers", volunteers.VolunteerViewSet, basename="volunteer-record")
router.register("training/modules", training.TrainingModuleViewSet, basename="training-module")
router.register("training/records", training.TrainingCompletionViewSet, basename="training-record")
# Recruitment (issue 22): the manager's applications, read only
router.register(
    "recruitment/applications", recruitment.ApplicationViewSet, basename="recruitment-application"
)
# Expenses (issue 22): a volunteer's own claims, and the manager's.
router.register("me/expenses", expenses.OwnExpenseViewSet, basename="own-expense-claim")
router.register("expenses", expenses.ExpenseViewSet, basename="expense-claim")
# ID cards (issue 22): each volunteer's card status, by volunteer id.
router.register("cards", cards.CardStatusViewSet, basename="id-card")

urlpatterns = [
    # The schema and its docs are public (and throttled as anonymous requests).
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[AllowAny]),
        name="api-docs",
    ),
    path("me/", views.me, name="api-me"),
    path("me/record/", volunteers.own_record, name="api-own-record"),
    path("me/training/", training.own_training, name="api-own-training"),
    path("checklists/current/", views.current_checklists, name="api-checklists-current"),
    path("summaries/", views.summary, name="api-summary"),
    path("", include(router.urls)),
]
