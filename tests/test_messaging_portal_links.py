"""Links in emails that point into the partner portal use PORTAL_URL, not the API's own host:
the lead notification's "Open the lead" reaches portal users (a real SMTP server receives them);
sales reps, who cannot sign in, get no portal link; without PORTAL_URL nobody gets one."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.email import deliver_due_emails
from services.leads import distribution as lead_distribution
from settings import ConfigError, Settings, load_settings
from tests.conftest import World, gid, make_settings
from tests.email_sink import SmtpSink
from tests.test_lead_distribution import configure_recipients, vendor_leads
from tests.test_lead_rules import viewer_for


async def test_lead_notification_links_to_the_portal_for_users_and_not_for_sales_reps(
    world: World, settings: Settings, tmp_path: Path
):
    await configure_recipients(world)
    (lead,) = await vendor_leads(world, 1)
    with SmtpSink() as sink:
        portal = make_settings(
            settings.database_url,
            tmp_path / "portal-data",
            SMTP_URL=sink.url,
            PORTAL_URL="https://portal.example.com/app/",
        )
        await lead_distribution.distribute_leads(
            portal, viewer_for(world.vendor_admin), [lead.id], world.partner_a.id
        )
        assert (await deliver_due_emails(portal)).sent == 3
        received = {item.recipients[0]: item for item in sink.wait_for(3)}

    link = f"https://portal.example.com/app/leads/{gid('Lead', lead.id)}"
    for user in ("admin@alpha.test", "user@alpha.test"):
        assert f"Open the lead: {link}" in received[user].body("plain")
        assert f'href="{link}"' in received[user].body("html")
    rep = received["rep.one@reps.example"]
    assert "Open the lead" not in rep.body("plain") + rep.body("html")
    # Nothing points at the API host's (non-existent) lead page any more.
    for item in received.values():
        assert f"{settings.public_url}/leads/" not in item.body("plain") + item.body("html")


@pytest.mark.parametrize("value", ["portal.example.com", "ftp://portal.example.com"])
def test_portal_url_must_be_an_http_url(value: str, tmp_path: Path):
    with pytest.raises(ConfigError) as raised:
        load_settings({"CHANNELPORT_DATA_DIR": str(tmp_path), "PORTAL_URL": value})
    assert raised.value.variable == "PORTAL_URL"


def test_portal_url_is_unset_by_default(tmp_path: Path):
    assert load_settings({"CHANNELPORT_DATA_DIR": str(tmp_path)}).portal_url == ""
