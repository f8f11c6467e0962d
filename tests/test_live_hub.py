"""The hub on a real Redis: it offers to replay only what it has heard, and tells open
pages to resynchronise when it may have missed events (a lost connection)."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from statboard.live.brokers.redis import LISTENER, RedisBroker
from statboard.live.hub import RESYNC, Hub


class Reader:
    """A page as the hub sees it: what it reads, and what it is sent."""

    def __init__(self, channels):
        self.channels, self.items = frozenset(channels), []

    def put(self, item) -> None:
        self.items.append(item)


def in_a_loop_of_its_own(scenario):
    """Run scenario() on a thread of its own, as the event server does (the test's own
    thread may already run a loop: Playwright's)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, scenario()).result(timeout=60)


def test_events_published_before_the_subscription_is_live_are_never_claimed(redis_url):
    publisher, listener = RedisBroker(redis_url), RedisBroker(redis_url)
    page = ["page:1"]

    publisher.publish("page:1", "layout", {})  # Redis has numbered events before

    async def scenario():
        hub = Hub(listener, replay=100)
        hub.listen(asyncio.get_running_loop())
        # Published before the hub's subscription has even been sent to Redis: the hub
        # never hears it, so it must not offer to catch a page up across it.
        lost = publisher.publish("page:1", "block", {"block": 1, "version": 2})
        before = f"{lost.epoch}-{lost.seq - 1}"
        await asyncio.sleep(0.5)  # the hub subscribes meanwhile
        heard = publisher.publish("page:1", "block", {"block": 1, "version": 3})
        for _ in range(100):
            if any(e.id == heard.id for e in hub.recent):
                break
            await asyncio.sleep(0.02)
        return hub.missed(before, page), hub.missed(lost.id, page), heard

    try:
        across_lost, after_lost, heard = in_a_loop_of_its_own(scenario)
    finally:
        listener.close()
        publisher.close()
    assert across_lost is None  # resync: the hub cannot tell what it missed
    assert [e.id for e in after_lost] == [heard.id]


def test_a_lost_connection_to_redis_makes_open_pages_resynchronise(redis_url):
    publisher, listener = RedisBroker(redis_url), RedisBroker(redis_url)
    page = ["page:1"]

    async def until(done, what: str) -> None:
        for _ in range(250):  # 5 s at most
            if done():
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"{what} did not happen within 5 s")

    async def scenario():
        hub = Hub(listener, replay=100)
        hub.listen(asyncio.get_running_loop())
        await until(lambda: hub.start is not None, "the subscription")
        stream = Reader(page)
        hub.open(stream)
        first = publisher.publish("page:1", "block", {"block": 1, "version": 2})
        await until(lambda: stream.items, "the first event")
        assert stream.items.pop(0)[0] == first.seq
        killed = sum(  # the hub's connections, by their name
            publisher.client.client_kill_filter(_id=c["id"])
            for c in publisher.client.client_list()
            if c["name"] == LISTENER
        )
        gone = publisher.publish("page:1", "block", {"block": 1, "version": 3})  # unheard
        await until(lambda: stream.items, "the resubscription")
        return killed, stream.items.pop(0), hub.missed(first.id, page), gone

    try:
        killed, told, across_gap, gone = in_a_loop_of_its_own(scenario)
    finally:
        listener.close()
        publisher.close()
    assert killed >= 1
    assert told == RESYNC  # the page refetches what it shows
    assert across_gap is None or gone.id in [e.id for e in across_gap]
