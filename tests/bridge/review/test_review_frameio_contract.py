"""Contract tests: retakes' Frame.io calls, through the real `frameio` SDK, against a local v4 fake."""

from __future__ import annotations

import os
import stat
import time

import pytest
from frameio.core.api_error import ApiError

from retakes.bridge.review.handoff import Pusher
from retakes.bridge.review.upload import PartUploader, UploadError
from tests.support.review_versions import make_versions


def _pusher(api, store, ledger, fake, **kw) -> Pusher:
    return Pusher(
        api,
        store,
        ledger,
        project_id=fake.state.project_id,
        uploader=PartUploader(backoff_s=0.01),
        poll_s=0.01,
        **kw,
    )


def test_multipart_upload_reports_progress_and_lands_bytes(api, fake, ledger, tmp_path):
    store = make_versions(tmp_path, 1, size=10_000)  # 3 parts of 4096 / 4096 / 1808 bytes
    seen = []
    remote = _pusher(api, store, ledger, fake).push(
        store.version("ver-1"), on_progress=lambda d, t: seen.append((d, t))
    )
    parts = fake.state.parts[remote.file_id]
    assert len(parts) == 3
    assert b"".join(parts[i] for i in range(3)) == store.version("ver-1").media_path.read_bytes()
    assert seen[-1] == (10_000, 10_000) and len(seen) == 3 and sorted(seen) == seen
    assert fake.state.files[remote.file_id]["parent_id"] == fake.state.root_folder_id
    # Lineage in the file's Description field, review link and status in the version store.
    desc = fake.state.metadata[remote.file_id][fake.state.description_field]
    assert "retakes v001 of shot010" in desc and "recolor --hue 30" in desc
    v = store.version("ver-1")
    assert v.review_link == remote.share_url and v.review_link.startswith("https://f.io/")
    assert v.status == "in review"


def test_version_stack_created_then_grows_oldest_to_newest(api, fake, ledger, tmp_path):
    store = make_versions(tmp_path, 3)
    pusher = _pusher(api, store, ledger, fake)
    r1 = pusher.push(store.version("ver-1"))
    assert r1.version_stack_id is None  # a stack needs two files
    r2 = pusher.push(store.version("ver-2"))
    assert fake.state.stacks[r2.version_stack_id] == [r1.file_id, r2.file_id]
    r3 = pusher.push(store.version("ver-3"))
    assert r3.version_stack_id == r2.version_stack_id
    assert api.version_stack_files(r2.version_stack_id) == [r1.file_id, r2.file_id, r3.file_id]
    assert ledger.remote("ver-1").version_stack_id == r2.version_stack_id
    assert [m for m, p, _ in fake.state.log if "version_stacks" in p and m == "POST"] == ["POST"]


def test_push_clip_pushes_only_new_versions_in_order(api, fake, ledger, tmp_path):
    store = make_versions(tmp_path, 3)
    pusher = _pusher(api, store, ledger, fake)
    pusher.push(store.version("ver-1"))
    pushed = pusher.push_clip("shot010")
    assert [r.version_id for r in pushed] == ["ver-2", "ver-3"]
    assert pusher.push_clip("shot010") == []


def test_failed_part_is_retried_alone(api, fake, ledger, tmp_path):
    store = make_versions(tmp_path, 1, size=10_000)
    fake.state.fail_part = {1: 2}  # part 2 answers 500 twice, then succeeds
    remote = _pusher(api, store, ledger, fake).push(store.version("ver-1"))
    puts = [(p, s) for f, p, s in fake.state.part_puts if f == remote.file_id]
    assert puts.count((1, 500)) == 2 and puts.count((1, 200)) == 1
    assert puts.count((0, 200)) == 1 and puts.count((2, 200)) == 1  # other parts sent once


def test_part_that_keeps_failing_raises(api, fake, ledger, tmp_path):
    store = make_versions(tmp_path, 1, size=10_000)
    fake.state.fail_part = {0: 99}
    with pytest.raises(UploadError, match="part 1"):
        _pusher(api, store, ledger, fake).push(store.version("ver-1"))
    assert ledger.remote("ver-1") is None and store.version("ver-1").review_link is None


def test_401_refreshes_token_then_retries_once(api, fake, auth):
    api.project_root_folder(fake.state.project_id)
    assert fake.state.tokens_issued == 1
    fake.state.revoke_tokens()  # the server forgets the token: next call gets 401
    assert api.project_root_folder(fake.state.project_id) == fake.state.root_folder_id
    assert fake.state.tokens_issued == 2
    statuses = [s for m, p, s in fake.state.log if p.endswith(fake.state.project_id)]
    assert statuses == [200, 401, 200]
    # The refreshed token was persisted, user-only.
    mode = stat.S_IMODE(os.stat(auth.store.path).st_mode)
    assert mode == 0o600 and auth.store.load()["access_token"] == "tok-2"


def test_second_401_is_not_retried_again(api, fake, monkeypatch):
    api.project_root_folder(fake.state.project_id)
    monkeypatch.setattr(
        fake.state, "valid_tokens", type("Never", (set,), {"__contains__": lambda s, x: False})()
    )
    with pytest.raises(ApiError) as err:
        api.project_root_folder(fake.state.project_id)
    assert err.value.status_code == 401
    assert [s for _, p, s in fake.state.log if p.endswith(fake.state.project_id)] == [200, 401, 401]


def test_429_waits_for_retry_after_then_succeeds(api, fake):
    api.project_root_folder(fake.state.project_id)
    fake.state.throttle.append((r"/projects/", 1))
    t0 = time.monotonic()
    assert api.project_root_folder(fake.state.project_id) == fake.state.root_folder_id
    assert time.monotonic() - t0 >= 0.95
    assert [s for _, p, s in fake.state.log if p.endswith(fake.state.project_id)] == [200, 429, 200]


def test_comment_listing_asks_for_timecodes(api, fake, ledger, tmp_path):
    store = make_versions(tmp_path, 1)
    remote = _pusher(api, store, ledger, fake).push(store.version("ver-1"))
    fake.state.add_comment(remote.file_id, "too saturated", "00:00:01:00", duration=12, author="Ana")
    fake.state.add_comment(remote.file_id, "general note", None)
    comments = api.comments(remote.file_id)
    assert [(c.text, c.timecode, c.duration, c.author) for c in comments] == [
        ("too saturated", "00:00:01:00", 12, "Ana"),
        ("general note", None, None, "Director"),
    ]


def test_token_file_is_user_only_and_refused_when_widened(auth, api, fake):
    api.project_root_folder(fake.state.project_id)
    path = auth.store.path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    os.chmod(path, 0o644)
    with pytest.raises(PermissionError):
        auth.store.load()


def test_notes_spread_over_several_pages_all_come_home_with_their_authors(api, fake, ledger, tmp_path):
    # The fake pages lists as v4 does (`links.next` carries only the `after` cursor), two per page.
    store = make_versions(tmp_path, 1)
    remote = _pusher(api, store, ledger, fake).push(store.version("ver-1"))
    people = ["Ana", "Ben", "Caro", "Dev", "Eli"]
    for i, who in enumerate(people):
        fake.state.add_comment(remote.file_id, f"note {i}", f"00:00:00:{i:02d}", author=who)
    comments = api.comments(remote.file_id)
    assert [(c.text, c.timecode, c.author) for c in comments] == [
        (f"note {i}", f"00:00:00:{i:02d}", who) for i, who in enumerate(people)
    ]
    listing = [s for m, p, s in fake.state.log if m == "GET" and p.endswith(f"/files/{remote.file_id}/comments")]
    assert listing == [200, 200, 200]  # three pages of 2, 2 and 1


def test_the_fake_sends_owners_only_when_asked_and_pages_with_a_bare_cursor(api, fake, ledger, tmp_path):
    store = make_versions(tmp_path, 1)
    remote = _pusher(api, store, ledger, fake).push(store.version("ver-1"))
    for i in range(3):
        fake.state.add_comment(remote.file_id, f"n{i}", f"00:00:00:0{i}", author="Ana", framestamp=i + 1)
    sdk = api._client.comments
    first = sdk.index(fake.state.account_id, remote.file_id, timestamp_as_timecode=True)
    assert [c.owner for c in first.items] == [None, None]
    owned = sdk.index(fake.state.account_id, remote.file_id, timestamp_as_timecode=True, include="owner")
    assert [c.owner.name for c in owned.items] == ["Ana", "Ana"]
    link = owned.response.links.next
    assert "after=" in link and "include" not in link and "timestamp_as_timecode" not in link
    # The SDK's own pager follows that bare link: page 2 comes back as v4 sends it then, without
    # an owner and with the integer framestamp (which is why `FrameioApi.comments` pages by hand).
    assert [(getattr(c.owner, "name", None), c.timestamp) for c in owned] == [
        ("Ana", "00:00:00:00"), ("Ana", "00:00:00:01"), (None, 3)]
