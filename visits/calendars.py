"""The iCalendar feed a visitor subscribes to: a core builder (a read model in, bytes out), so
the page and any other door hand out the same file."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext
from icalendar import Calendar, Event

from visits.services.rota import Feed


def calendar_ics(feed: Feed, host: str) -> bytes:
    """The feed's slots as iCalendar: the week as an all-day event until the pair agree a day
    and time, then that time. Suite and week only, nothing about the other visitor."""
    calendar = Calendar()
    calendar.add("prodid", "-//Independent custody visiting//icv//EN")
    calendar.add("version", "2.0")
    calendar.add(
        "x-wr-calname", gettext("Custody visits (%(scheme)s)") % {"scheme": feed.scheme_name}
    )
    now = timezone.now()
    for item in feed.events:
        event = Event()
        event.add("uid", f"slot-{item.slot_id}@{host}")
        event.add("dtstamp", now)
        event.add("summary", gettext("Custody visit: %(suite)s") % {"suite": item.suite})
        if item.starts_at:
            event.add("dtstart", item.starts_at)
            event.add("dtend", item.ends_at)
            event.add("description", gettext("The day and time you agreed with your partner."))
        else:
            event.add("dtstart", item.week)
            event.add("dtend", item.week + datetime.timedelta(days=7))
            event.add("description", gettext("Agree the day and time with your partner."))
        calendar.add_component(event)
    return calendar.to_ical()
