"""The manager keeps training records on a phone (issue 22): the training page lists who is due;
on a trainee's page a completion recorded in place, a mistake shown by its field, and a ready
trainee graduated. axe on every page, nothing wider than 320 px."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility
from visits.models import Membership, TrainingCompletion


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_manager_records_training_and_graduates_a_trainee(page, demo, sign_in, live_server):
    page.set_viewport_size({"width": 320, "height": 700})
    sign_in("manager")
    page.goto(f"{live_server.url}/volunteers/")
    chloe_row = page.get_by_role("row").filter(has_text="Chloe Gotts")
    expect(chloe_row.get_by_text("Ready to graduate")).to_be_visible()
    page.get_by_role("link", name="Training: modules and who is due").click()
    expect(page.get_by_role("heading", name="Training", level=1)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Grace Bunn")).to_contain_text("Never done")
    check_accessibility(page)
    fits(page)

    page.get_by_role("row").filter(has_text="Grace Bunn").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Grace Bunn", level=1)).to_be_visible()
    check_accessibility(page)
    fits(page)
    form = page.get_by_role("form", name="Record training")
    form.get_by_label("Module").select_option(label="Safeguarding")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    form.get_by_label("Completed on").fill(tomorrow.isoformat())
    form.get_by_role("button", name="Record training").click()
    expect(page.get_by_text("The date cannot be in the future.")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Completed on").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Record training").click()
    expect(page.get_by_role("status").filter(has_text="Training recorded.")).to_be_visible()
    check_accessibility(page)
    fits(page)
    grace = Membership.objects.get(user__username="grace.bunn")
    assert TrainingCompletion.objects.filter(membership=grace, module__key="safeguarding").exists()

    chloe = Membership.objects.get(user__username="chloe.gotts")
    page.goto(f"{live_server.url}/volunteers/{chloe.pk}/")
    page.get_by_role("button", name="Make them an experienced visitor").click()
    expect(page.get_by_role("status").filter(has_text="now an experienced visitor")).to_be_visible()
    check_accessibility(page)
    chloe.refresh_from_db()
    assert chloe.status == "active"
