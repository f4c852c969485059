"""Pretrained weights are fetched only on Colab or with AMINET_DOWNLOAD=1, never silently."""

import pytest

from aminet import weights
from aminet.metrics import LPIPS, MetricUnavailable
from aminet.perceptual import PerceptualWeightsMissing, VGGPerceptualLoss


def test_missing_file_is_not_fetched_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("AMINET_DOWNLOAD", raising=False)
    source = tmp_path / "source.pth"
    source.write_bytes(b"weights")
    target = tmp_path / "cache" / "w.pth"
    assert weights.fetch_pretrained(target, source.as_uri()) is False
    assert not target.exists()


def test_fetch_downloads_when_allowed(tmp_path, monkeypatch):
    monkeypatch.setenv("AMINET_DOWNLOAD", "1")
    source = tmp_path / "source.pth"
    source.write_bytes(b"weights")
    target = tmp_path / "cache" / "w.pth"
    assert weights.fetch_pretrained(target, source.as_uri()) is True
    assert target.read_bytes() == b"weights"


def test_failed_download_reports_and_returns_false(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AMINET_DOWNLOAD", "1")
    target = tmp_path / "w.pth"
    assert weights.fetch_pretrained(target, (tmp_path / "absent.pth").as_uri()) is False
    assert "could not download" in capsys.readouterr().err


def test_offline_messages_say_how_to_fetch(tmp_path, monkeypatch):
    monkeypatch.delenv("AMINET_DOWNLOAD", raising=False)
    with pytest.raises(MetricUnavailable, match="AMINET_DOWNLOAD=1"):
        LPIPS(alexnet_path=tmp_path / "alexnet-owt-7be5be79.pth")
    with pytest.raises(PerceptualWeightsMissing, match="vgg19-dcbb9e9d.pth.*AMINET_DOWNLOAD=1"):
        VGGPerceptualLoss(weights_path=tmp_path / "vgg19-dcbb9e9d.pth")


def test_a_stalled_download_times_out_and_leaves_no_file(tmp_path, monkeypatch, capsys):
    """A server that accepts the connection and never answers: the download gives up."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    monkeypatch.setenv("AMINET_DOWNLOAD", "1")
    monkeypatch.setenv("AMINET_DOWNLOAD_TIMEOUT", "0.5")
    target = tmp_path / "cache" / "w.pth"
    url = f"http://127.0.0.1:{server.getsockname()[1]}/w.pth"
    try:
        assert weights.fetch_pretrained(target, url) is False
    finally:
        server.close()
    assert "no data for 0.5 s" in capsys.readouterr().err
    assert list(target.parent.iterdir()) == []


@pytest.mark.parametrize("value", ["abc", "-5", "0", "nan", "inf"])
def test_a_download_timeout_that_is_not_seconds_is_refused_by_name(monkeypatch, value):
    monkeypatch.setenv("AMINET_DOWNLOAD_TIMEOUT", value)
    with pytest.raises(ValueError, match=f"AMINET_DOWNLOAD_TIMEOUT='{value}': expected a number"):
        weights.download_timeout()
    monkeypatch.setenv("AMINET_DOWNLOAD_TIMEOUT", " 2.5 ")
    assert weights.download_timeout() == 2.5
    monkeypatch.delenv("AMINET_DOWNLOAD_TIMEOUT")
    assert weights.download_timeout() == weights.DOWNLOAD_TIMEOUT_S
