import re
def test_dbg(coordinator_client):
    page = coordinator_client.get("/admin/kpis/channelpost/export/").content.decode()
    i = page.find('<div id="content"')
    print(re.sub(r"<[^>]+>", " ", re.sub(r"\s+", " ", page[i:i+6000])))
