from django.urls import path, register_converter

from visits.views import (
    account,
    annual_report,
    cards,
    expenses,
    home,
    issues,
    languages,
    mail,
    offline,
    public,
    recruitment,
    reports,
    rota,
    suites,
    summaries,
    training,
    visit_flow,
    volunteers,
)

register_converter(public.QuarterConverter, "quarter")
register_converter(offline.LanguageConverter, "lang")


urlpatterns = [
    path("", home.home, name="home"),
    path("sw.js", offline.service_worker, name="service-worker"),
    path("jsi18n/<lang:lang>/", offline.javascript_catalogue, name="js-catalogue"),
    path("manifest.webmanifest", offline.manifest, name="manifest"),
    path("language/", languages.set_language, name="set-language"),
    path("outbox/", offline.outbox, name="outbox"),
    path("visits/record/", offline.record_on_phone, name="visit-record"),
    path("healthz", home.healthz, name="healthz"),
    path("suites/", suites.suite_list, name="suite-list"),
    path("suites/<int:pk>/", suites.suite_detail, name="suite-detail"),
    path("suites/<int:pk>/edit/", suites.suite_edit, name="suite-edit"),
    path("account/tokens/", account.token_list, name="token-list"),
    # Volunteers: vetting, appointment and leaving (issue 22).
    path("volunteers/", volunteers.volunteer_list, name="volunteer-list"),
    path("volunteers/<int:pk>/", volunteers.volunteer_detail, name="volunteer-detail"),
    path("volunteers/<int:pk>/vetting/", volunteers.volunteer_vetting, name="volunteer-vetting"),
    path(
        "volunteers/<int:pk>/appointment/",
        volunteers.volunteer_appointment,
        name="volunteer-appointment",
    ),
    path("volunteers/<int:pk>/leaving/", volunteers.volunteer_leaving, name="volunteer-leaving"),
    path("account/record/", volunteers.own_record, name="own-record"),
    # Training and graduation (issue 22).
    path("volunteers/training/", training.training_overview, name="training-overview"),
    path("volunteers/training/modules/", training.training_module_add, name="training-module-add"),
    path(
        "volunteers/training/modules/<int:pk>/retire/",
        training.training_module_retire,
        name="training-module-retire",
    ),
    path(
        "volunteers/training/records/<int:pk>/remove/",
        training.training_completion_remove,
        name="training-completion-remove",
    ),
    path("volunteers/<int:pk>/training/", training.volunteer_training, name="volunteer-training"),
    path("volunteers/<int:pk>/graduate/", training.volunteer_graduate, name="volunteer-graduate"),
    # Recruitment (issue 22): the public form (no sign-in), the manager's applications, and the
    # new visitor's one-time link to set a password.
    path("apply/<slug:slug>/", recruitment.apply, name="apply"),
    path("apply/<slug:slug>/thanks/", recruitment.apply_thanks, name="apply-thanks"),
    path("volunteers/applications/", recruitment.application_list, name="application-list"),
    path(
        "volunteers/applications/<int:pk>/",
        recruitment.application_detail,
        name="application-detail",
    ),
    path(
        "volunteers/applications/<int:pk>/act/",
        recruitment.application_act,
        name="application-act",
    ),
    path(
        "volunteers/applications/<int:pk>/interview/",
        recruitment.application_interview,
        name="application-interview",
    ),
    path(
        "volunteers/applications/<int:pk>/references/",
        recruitment.application_reference_add,
        name="application-reference-add",
    ),
    path(
        "volunteers/applications/<int:pk>/references/<int:ref>/",
        recruitment.application_reference_record,
        name="application-reference",
    ),
    path("accounts/welcome/<uidb64>/<token>/", recruitment.set_password, name="set-password"),
    # Expenses (issue 22): a volunteer's own claims, and the scheme manager's list.
    path("account/expenses/", expenses.own_expenses, name="own-expenses"),
    path("account/expenses/new/", expenses.expense_new, name="expense-new"),
    path("account/expenses/<int:pk>/", expenses.expense_edit, name="expense-edit"),
    path("account/expenses/<int:pk>/withdraw/", expenses.expense_withdraw, name="expense-withdraw"),
    path("expenses/", expenses.expense_list, name="expense-list"),
    path("expenses/export.csv", expenses.expense_export, name="expense-export"),
    path("expenses/pay/", expenses.expense_pay, name="expense-pay"),
    path("expenses/rate/", expenses.expense_rate, name="expense-rate"),
    path("expenses/<int:pk>/approve/", expenses.expense_approve, name="expense-approve"),
    path("expenses/<int:pk>/query/", expenses.expense_query, name="expense-query"),
    path("expenses/<int:pk>/receipt/", expenses.expense_receipt, name="expense-receipt"),
    # ID cards (issue 22): the manager's section of a volunteer's page, the card itself, its
    # holder's copy, and the public check page its QR code opens.
    path("volunteers/<int:pk>/card/", cards.volunteer_card, name="volunteer-card"),
    path(
        "volunteers/<int:pk>/card/photo/",
        cards.volunteer_card_photo_upload,
        name="volunteer-card-photo-upload",
    ),
    path(
        "volunteers/<int:pk>/card/photo.jpg",
        cards.volunteer_card_photo,
        name="volunteer-card-photo",
    ),
    path(
        "volunteers/<int:pk>/card/issue/", cards.volunteer_card_issue, name="volunteer-card-issue"
    ),
    path(
        "volunteers/<int:pk>/card/revoke/",
        cards.volunteer_card_revoke,
        name="volunteer-card-revoke",
    ),
    path("volunteers/<int:pk>/card.pdf", cards.volunteer_card_pdf, name="volunteer-card-pdf"),
    path("account/card.pdf", cards.own_card_pdf, name="own-card-pdf"),
    path("card/<str:token>/", cards.card_check, name="card-check"),
    path("account/tokens/<int:pk>/revoke/", account.token_revoke, name="token-revoke"),
    path("people/<int:pk>/subject-access.json", account.subject_access, name="subject-access"),
    # Rota: a visitor's own, then the manager's
    path("rota/", rota.my_rota, name="my-rota"),
    path("rota/periods/<int:pk>/availability/", rota.availability, name="rota-availability"),
    path("rota/slots/<int:pk>/plan/", rota.slot_plan, name="rota-slot-plan"),
    path("rota/slots/<int:pk>/offer/", rota.slot_offer, name="rota-slot-offer"),
    path("rota/offers/<int:pk>/take/", rota.offer_take, name="rota-offer-take"),
    path("rota/offers/<int:pk>/withdraw/", rota.offer_withdraw, name="rota-offer-withdraw"),
    path("rota/calendar/<int:pk>/renew/", rota.feed_renew, name="rota-feed-renew"),
    path("calendar/<str:token>.ics", rota.calendar_feed, name="calendar-feed"),
    path("rota/manage/", rota.period_list, name="rota-periods"),
    path("rota/manage/<int:pk>/", rota.period_detail, name="rota-period"),
    path("rota/manage/<int:pk>/generate/", rota.period_generate, name="rota-generate"),
    path("rota/manage/<int:pk>/publish/", rota.period_publish, name="rota-publish"),
    path("rota/manage/slots/<int:pk>/", rota.slot_edit, name="rota-slot"),
    path("rota/manage/slots/<int:pk>/check/", rota.slot_check, name="rota-slot-check"),
    path("rota/manage/slots/<int:pk>/move/", rota.slot_move, name="rota-slot-move"),
    path("rota/manage/slots/<int:pk>/status/", rota.slot_status, name="rota-slot-status"),
    # The scheme manager's view of the e-mail queue
    path("emails/", mail.email_list, name="email-list"),
    path("emails/<int:pk>/send-again/", mail.email_send_again, name="email-send-again"),
    # Summaries
    path("summaries/", summaries.summary_page, name="summary"),
    path("summaries/summary.pdf", summaries.summary_pdf, name="summary-pdf"),
    path("summaries/summary.csv", summaries.summary_csv, name="summary-csv"),
    path("summaries/national-return.csv", summaries.national_return, name="summary-return"),
    # The annual report: the manager writes and publishes it; once published, anyone reads it
    path("summaries/annual/<int:year>/", annual_report.annual_report_page, name="annual-report"),
    path(
        "summaries/annual/<int:year>/edit/",
        annual_report.annual_report_edit,
        name="annual-report-edit",
    ),
    path(
        "summaries/annual/<int:year>/publish/",
        annual_report.annual_report_publish,
        name="annual-report-publish",
    ),
    path(
        "summaries/annual/<int:year>/report.pdf",
        annual_report.annual_report_pdf,
        name="annual-report-pdf",
    ),
    path(
        "public/<slug:slug>/annual/<int:year>/",
        annual_report.public_annual_report,
        name="public-annual-report",
    ),
    path(
        "public/<slug:slug>/annual/<int:year>.pdf",
        annual_report.public_annual_report_pdf,
        name="public-annual-report-pdf",
    ),
    # Published figures (issue 20): the manager's control, and the public pages with no sign-in
    path("summaries/publication/<slug:slug>/", public.publication_page, name="publication"),
    path("public/<slug:slug>/", public.public_latest, name="public-figures"),
    path("public/<slug:slug>/<quarter:period>/", public.public_quarter, name="public-quarter"),
    path("public/<slug:slug>/<quarter:period>.csv", public.public_csv, name="public-csv"),
    path("public/<slug:slug>/<quarter:period>.json", public.public_json, name="public-json"),
    # Issues
    path("issues/", issues.issue_board, name="issue-board"),
    path("issues/export.csv", issues.issue_export, name="issue-export"),
    path("issues/<int:pk>/", issues.issue_detail, name="issue-detail"),
    path("issues/<int:pk>/act/", issues.issue_act, name="issue-act"),
    path("issues/<int:pk>/files/<int:event_pk>/", issues.issue_file, name="issue-file"),
    # Reports
    path("visits/", reports.visit_list, name="visit-list"),
    path("visits/<uuid:uuid>/", reports.visit_report, name="visit-report"),
    path("visits/<uuid:uuid>/report.pdf", reports.visit_pdf, name="visit-pdf"),
    path("visits/<uuid:uuid>/amend/", reports.visit_amend, name="visit-amend"),
    path(
        "visits/<uuid:uuid>/copies/<int:pk>/dealt-with/",
        reports.visit_copy_dealt_with,
        name="visit-copy-dealt-with",
    ),
    path(
        "visits/<uuid:uuid>/copies/photos/<int:pk>/",
        reports.visit_copy_photo,
        name="visit-copy-photo",
    ),
    path(
        "visits/<uuid:uuid>/copies/photos/<int:pk>/thumb/",
        reports.visit_copy_photo,
        {"size": "thumb"},
        name="visit-copy-photo-thumb",
    ),
    # Recording a visit, one step per page
    path("visits/new/", visit_flow.visit_start, name="visit-start"),
    path("visits/<uuid:uuid>/admission/", visit_flow.visit_admission, name="visit-admission"),
    path("visits/<uuid:uuid>/numbers/", visit_flow.visit_numbers, name="visit-numbers"),
    path("visits/<uuid:uuid>/detainees/", visit_flow.visit_detainees, name="visit-detainees"),
    path("visits/<uuid:uuid>/detainees/new/", visit_flow.visit_detainee, name="visit-detainee-new"),
    path(
        "visits/<uuid:uuid>/detainees/<int:pk>/", visit_flow.visit_detainee, name="visit-detainee"
    ),
    path(
        "visits/<uuid:uuid>/detainees/<int:pk>/remove/",
        visit_flow.visit_detainee_remove,
        name="visit-detainee-remove",
    ),
    path("visits/<uuid:uuid>/suite/", visit_flow.visit_suite, name="visit-suite"),
    path("visits/<uuid:uuid>/photos/", visit_flow.visit_photo_upload, name="visit-photo-upload"),
    path("visits/<uuid:uuid>/photos/<int:pk>/", visit_flow.visit_photo, name="visit-photo"),
    path(
        "visits/<uuid:uuid>/photos/<int:pk>/thumb/",
        visit_flow.visit_photo,
        {"size": "thumb"},
        name="visit-photo-thumb",
    ),
    path(
        "visits/<uuid:uuid>/photos/<int:pk>/remove/",
        visit_flow.visit_photo_remove,
        name="visit-photo-remove",
    ),
    path("visits/<uuid:uuid>/issues/", visit_flow.visit_issues, name="visit-issues"),
    path(
        "visits/<uuid:uuid>/issues/<int:pk>/withdraw/",
        visit_flow.visit_issue_withdraw,
        name="visit-issue-withdraw",
    ),
    path(
        "visits/<uuid:uuid>/issues/<int:pk>/restore/",
        visit_flow.visit_issue_restore,
        name="visit-issue-restore",
    ),
    path("visits/<uuid:uuid>/recheck/", visit_flow.visit_recheck, name="visit-recheck"),
    path(
        "visits/<uuid:uuid>/good-practice/",
        visit_flow.visit_good_practice,
        name="visit-good-practice",
    ),
    path("visits/<uuid:uuid>/sign-off/", visit_flow.visit_sign_off, name="visit-sign-off"),
    path("visits/<uuid:uuid>/check/", visit_flow.visit_check, name="visit-check"),
]
