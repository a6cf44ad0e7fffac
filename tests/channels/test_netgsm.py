"""The Netgsm adapter through the operator's own SDK against the simulator's stand-in of its
REST v2 API: jobs of many messages, the Turkish encoding only when needed, every documented
code classified, statuses from the report and replies from the inbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from netgsm.exceptions.api_exception import (  # type: ignore[import-untyped]
    ConnectionException,
    ServerException,
    TimeoutException,
)

from channels.base import (
    Accepted,
    Capability,
    Channel,
    ConfigurationError,
    ErrorKind,
    EventType,
    OutboundMessage,
    Polled,
    Rejected,
    TransientError,
)
from channels.netgsm import NetgsmAdapter, from_code, national
from simulator.core import SimulatorConfig
from simulator.server import BackgroundServer, free_port, simulator_in_background
from tests.support.adapter_contract import AdapterContract, OutageContract, SimulatorOutage


@pytest.fixture
def config() -> SimulatorConfig:
    return SimulatorConfig(callback_delay=0.05, undelivered_rate=0.0, seed=3)


@pytest.fixture
def sim(config: SimulatorConfig) -> Iterator[BackgroundServer]:
    with simulator_in_background(config) as server:
        yield server


@pytest.fixture
def env(sim: BackgroundServer, config: SimulatorConfig) -> dict[str, str]:
    return {
        "NETGSM_USERNAME": config.netgsm_username,
        "NETGSM_PASSWORD": config.netgsm_password,
        "NETGSM_MSGHEADER": config.netgsm_msgheader,
        "NETGSM_API_URL": sim.url,
    }


def sms(message_id: int, to: str, text: str = "Mezun sistemine kaydolun") -> OutboundMessage:
    return OutboundMessage(id=message_id, channel=Channel.SMS, to=to, text=text)


def last_request(sim: BackgroundServer) -> dict[str, object]:
    answer = httpx.get(f"{sim.url}/_simulator/netgsm/last", timeout=5)
    assert answer.status_code == 200
    data: dict[str, object] = answer.json()
    return data


def test_many_messages_go_as_one_job_with_their_own_texts(
    sim: BackgroundServer, env: dict[str, str]
) -> None:
    with NetgsmAdapter.from_env(env) as adapter:
        results = adapter.send(
            [sms(1, "+905321110001", "Merhaba A"), sms(2, "+905321110002", "Merhaba B")]
        )
    assert all(isinstance(r, Accepted) for r in results)
    ids = [r.provider_message_id for r in results if isinstance(r, Accepted)]
    job = ids[0].split("-")[0]
    assert ids == [f"{job}-5321110001", f"{job}-5321110002"]
    sent = last_request(sim)
    assert sent["messages"] == [
        {"msg": "Merhaba A", "no": "5321110001"},
        {"msg": "Merhaba B", "no": "5321110002"},
    ]
    assert sent["iysfilter"] == "0"  # a registration reminder is informational
    assert "encoding" not in sent  # plain text: no Turkish encoding


def test_turkish_texts_go_with_the_turkish_encoding_and_one_number_once_per_job(
    sim: BackgroundServer, env: dict[str, str]
) -> None:
    with NetgsmAdapter.from_env(env) as adapter:
        results = adapter.send(
            [
                sms(1, "+905321110011", "Kayıt için son gün"),
                sms(2, "+905321110011", "Kayıt için son gün, ikinci"),
                sms(3, "+905321110012", "plain"),
            ]
        )
    accepted = [r for r in results if isinstance(r, Accepted)]
    assert len(accepted) == 3
    jobs = {r.provider_message_id.split("-")[0] for r in accepted}
    assert len(jobs) == 3  # plain apart; the repeated number in a job of its own
    with NetgsmAdapter.from_env(env) as adapter:
        adapter.send([sms(4, "+905321110013", "Kayıt için son gün")])
    assert last_request(sim)["encoding"] == "tr"


def test_commercial_messages_go_in_jobs_of_their_own_checked_against_iys(
    sim: BackgroundServer, env: dict[str, str]
) -> None:
    commercial = OutboundMessage(
        id=2, channel=Channel.SMS, to="+905321110032", text="Mezun indirimi", commercial=True
    )
    with NetgsmAdapter.from_env(env) as adapter:
        results = adapter.send([sms(1, "+905321110031", "Mezun bilgisi"), commercial])
    jobs = [r.provider_message_id.split("-")[0] for r in results if isinstance(r, Accepted)]
    assert len(set(jobs)) == 2  # one job per kind: the filter holds for a whole job
    with NetgsmAdapter.from_env(env) as adapter:
        adapter.send([commercial])
    assert last_request(sim)["iysfilter"] == "11"  # commercial, to individuals


def test_a_number_outside_turkey_is_refused_alone(env: dict[str, str]) -> None:
    with NetgsmAdapter.from_env(env) as adapter:
        foreign, turkish = adapter.send([sms(1, "+4915112345678"), sms(2, "+905321110021")])
    assert isinstance(foreign, Rejected)
    assert foreign.error.code == "not-turkish"
    assert isinstance(turkish, Accepted)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("20", ErrorKind.PERMANENT),
        ("70", ErrorKind.PERMANENT),
        ("80", ErrorKind.RATE_LIMITED),
        ("85", ErrorKind.RATE_LIMITED),
        ("100", ErrorKind.TRANSIENT),
        ("101", ErrorKind.TRANSIENT),
        ("99", ErrorKind.UNKNOWN),
    ],
)
def test_every_documented_code_is_classified(code: str, kind: ErrorKind) -> None:
    error = from_code(code, "")
    assert not isinstance(error, ConfigurationError)
    assert error.kind is kind


@pytest.mark.parametrize("code", ["30", "40", "50", "51"])
def test_credentials_sender_and_iys_are_configuration(code: str) -> None:
    assert isinstance(from_code(code, ""), ConfigurationError)


def test_a_wrong_sender_name_stops_the_channel(env: dict[str, str]) -> None:
    with (
        NetgsmAdapter.from_env({**env, "NETGSM_MSGHEADER": "BASKA"}) as adapter,
        pytest.raises(ConfigurationError, match="NETGSM_MSGHEADER"),
    ):
        adapter.send([sms(1, "+905321110031")])


def test_wrong_credentials_stop_the_channel(env: dict[str, str]) -> None:
    with (
        NetgsmAdapter.from_env({**env, "NETGSM_PASSWORD": "yanlis"}) as adapter,
        pytest.raises(ConfigurationError, match="credentials"),
    ):
        adapter.send([sms(1, "+905321110032")])


def test_too_many_tasks_for_one_number_is_rate_limited(env: dict[str, str]) -> None:
    with NetgsmAdapter.from_env(env) as adapter:
        for i in range(20):
            assert isinstance(adapter.send([sms(i, "+905321110041")])[0], Accepted)
        limited = adapter.send([sms(99, "+905321110041")])[0]
    assert isinstance(limited, Rejected)
    assert limited.error.kind is ErrorKind.RATE_LIMITED
    assert limited.error.code == "85"


def test_a_slow_answer_is_unknown_never_a_failure() -> None:
    """The SDK waits 30 s; a timeout may come after the job was taken: its messages are
    reconciled, never sent again blindly. A refused connection never left: retried."""
    adapter = NetgsmAdapter.from_env(
        {"NETGSM_USERNAME": "u", "NETGSM_PASSWORD": "p", "NETGSM_MSGHEADER": "H"}
    )
    with adapter:
        assert adapter.classify(TimeoutException()).kind is ErrorKind.UNKNOWN  # type: ignore[union-attr]
        assert adapter.classify(ConnectionException()).kind is ErrorKind.TRANSIENT  # type: ignore[union-attr]
        server = ServerException("boom", None, 503)
        assert adapter.classify(server).kind is ErrorKind.TRANSIENT  # type: ignore[union-attr]


def test_statuses_come_from_the_report_within_its_query_limit(
    config: SimulatorConfig, env: dict[str, str]
) -> None:
    # Pending for a whole second: the first poll comes well before, however busy the machine.
    config.undelivered_rate, config.callback_delay = 0.0, 1.0
    with NetgsmAdapter.from_env(env) as adapter:
        accepted = adapter.send(
            [sms(1, "+905321110061"), sms(2, "+905321110062"), sms(3, "+905321120000")]
        )
        polled = [
            Polled(r.provider_message_id, datetime.now(UTC))
            for r in accepted
            if isinstance(r, Accepted)
        ]
        assert adapter.poll_statuses(polled) == []  # still pending
        time.sleep(1.1)
        events = adapter.poll_statuses(polled)
    by_id = {e.provider_message_id: e for e in events}
    assert [by_id[p.provider_message_id].type for p in polled] == [
        EventType.DELIVERED,
        EventType.DELIVERED,
        EventType.UNDELIVERED,
    ]
    assert by_id[polled[2].provider_message_id].error_code == "4"
    assert all(e.provider == "netgsm" for e in events)


def test_the_report_limit_is_kept_and_answered_later(
    config: SimulatorConfig, env: dict[str, str]
) -> None:
    config.netgsm_report_queries_per_minute = 1
    with NetgsmAdapter.from_env(env) as adapter:
        accepted = adapter.send([sms(1, "+905321110071")])[0]
        assert isinstance(accepted, Accepted)
        polled = [Polled(accepted.provider_message_id, datetime.now(UTC))]
        time.sleep(0.1)
        assert len(adapter.poll_statuses(polled)) == 1
        assert adapter.poll_statuses(polled) == []  # over the limit: asked at the next poll


def test_replies_come_from_the_inbox_with_their_keyword(
    sim: BackgroundServer, env: dict[str, str]
) -> None:
    for sender, text in (("905321110081", "İPTAL"), ("905321110082", "Kayıt olamıyorum")):
        httpx.post(f"{sim.url}/_simulator/netgsm/inbox", json={"sender": sender, "message": text})
    with NetgsmAdapter.from_env(env) as adapter:
        now = datetime.now(UTC)
        replies = adapter.poll_inbound(now - timedelta(minutes=5), now + timedelta(minutes=1))
        again = adapter.poll_inbound(now - timedelta(minutes=5), now + timedelta(minutes=1))
    assert [(r.from_address, r.keyword) for r in replies] == [
        ("+905321110081", "stop"),
        ("+905321110082", None),
    ]
    # The same reply read twice has the same id: the host stores it once.
    assert [r.provider_message_id for r in again] == [r.provider_message_id for r in replies]
    assert len({r.provider_message_id for r in replies}) == 2


def test_an_empty_inbox_is_no_replies_and_an_unreadable_one_is_an_error(
    sim: BackgroundServer, env: dict[str, str]
) -> None:
    now = datetime.now(UTC)
    with NetgsmAdapter.from_env(env) as adapter:
        assert adapter.poll_inbound(now - timedelta(minutes=5), now) == []  # code 40
    # The host reads the same window again only if it is told the read failed.
    unreachable = {**env, "NETGSM_API_URL": f"http://127.0.0.1:{free_port()}"}
    with NetgsmAdapter.from_env(unreachable) as adapter, pytest.raises(TransientError):
        adapter.poll_inbound(now - timedelta(minutes=5), now)
    refused = {**env, "NETGSM_PASSWORD": "yanlis"}
    with NetgsmAdapter.from_env(refused) as adapter, pytest.raises(ConfigurationError):
        adapter.poll_inbound(now - timedelta(minutes=5), now)


def test_numbers_are_written_as_netgsm_writes_them() -> None:
    assert national("+905321234567") == "5321234567"
    assert national("+902121234567") is None  # a landline
    assert national("+4915112345678") is None


def test_capabilities() -> None:
    assert Capability.POLLED_STATUSES in NetgsmAdapter.capabilities
    assert Capability.POLLED_INBOUND in NetgsmAdapter.capabilities


class TestNetgsmKeepsTheAdapterContract(AdapterContract, OutageContract, SimulatorOutage):
    channel = Channel.SMS

    @pytest.fixture
    def adapter(self, env: dict[str, str]) -> Iterator[NetgsmAdapter]:
        with NetgsmAdapter.from_env(env) as adapter:
            yield adapter


def test_the_adapter_keeps_to_its_query_budget_by_itself(env: dict[str, str]) -> None:
    budget = {**env, "NETGSM_REPORT_QUERIES_PER_MINUTE": "2"}
    with NetgsmAdapter.from_env(budget) as adapter:
        accepted = adapter.send([sms(1, "+905321110091")])[0]
        assert isinstance(accepted, Accepted)
        polled = [Polled(accepted.provider_message_id, datetime.now(UTC))]
        adapter.poll_statuses(polled)  # pending: asked, nothing yet
        time.sleep(0.1)
        assert len(adapter.poll_statuses(polled)) == 1
        # The minute's two queries are spent: the next poll does not ask at all.
        assert adapter.poll_statuses(polled) == []
        assert len(adapter._report_queries) == 2
